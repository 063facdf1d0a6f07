/// The owner's page: one document, no external assets (the charger may have no internet), read
/// on a phone. It fills itself from `/state`, follows `/events`, lists `/sessions`, and asks for
/// the token before an action (kept for the browser tab only).
enum LivePageDocument {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Charger</title>
    <style>
      :root { color-scheme: light dark; --accent: #0b6e4f; --alarm: #b3261e; }
      body { font: 16px/1.45 system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 40rem; margin-inline: auto; }
      h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
      #state { font-size: 1.25rem; font-weight: 600; color: var(--accent); margin: 0 0 1rem; }
      dl { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem 1rem; margin: 0 0 1rem; }
      dt { font-size: .85rem; opacity: .75; } dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
      .fault { border: 2px solid var(--alarm); border-radius: .5rem; padding: .75rem; margin: 0 0 1rem; }
      .fault h2 { color: var(--alarm); font-size: 1.1rem; margin: 0 0 .25rem; }
      button { font: inherit; padding: .6rem 1rem; margin: 0 .5rem .5rem 0; border-radius: .4rem; border: 1px solid currentColor; background: none; }
      button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
      table { border-collapse: collapse; width: 100%; font-size: .9rem; } caption { text-align: left; font-weight: 600; margin: 1rem 0 .25rem; }
      th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #8884; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
      #connection { font-size: .8rem; opacity: .7; }
    </style>
    </head>
    <body>
    <main>
      <h1 id="charger">Charger</h1>
      <p id="state" role="status" aria-live="polite">Loading…</p>
      <section id="faults" aria-live="assertive"></section>
      <section aria-labelledby="session-heading">
        <h2 id="session-heading" style="font-size:1.1rem">This session</h2>
        <dl>
          <div><dt>Energy</dt><dd id="energy">–</dd></div>
          <div><dt>Power</dt><dd id="power">–</dd></div>
          <div><dt>Duration</dt><dd id="duration">–</dd></div>
          <div><dt>Cost so far</dt><dd id="cost">–</dd></div>
          <div><dt>Current offered</dt><dd id="offered">–</dd></div>
          <div><dt>Predicted end</dt><dd id="predicted">–</dd></div>
        </dl>
      </section>
      <section aria-label="Actions (need the charger's token)">
        <button type="button" data-action="pause">Pause</button>
        <button type="button" data-action="resume">Resume</button>
        <button type="button" data-action="stop">Stop session</button>
        <button type="button" data-action="limit">Set current limit…</button>
        <p id="answer" role="status" aria-live="polite"></p>
      </section>
      <table>
        <caption>Last sessions</caption>
        <thead><tr><th scope="col">Session</th><th scope="col">Started</th><th scope="col">Energy</th><th scope="col">Bill</th><th scope="col">Ended because</th></tr></thead>
        <tbody id="sessions"><tr><td colspan="5">Loading…</td></tr></tbody>
      </table>
      <p id="connection">Connecting…</p>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    const text = (id, value) => { $(id).textContent = value; };
    function duration(s) {
      const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
      return h > 0 ? h + " h " + m + " min" : m + " min " + (s % 60) + " s";
    }
    function show(state) {
      text("charger", state.charger || "Charger");
      document.title = state.charger || "Charger";
      text("state", (state.state_text || "Starting…") + (state.session ? " — session " + state.session : ""));
      text("energy", state.energy_wh !== undefined ? (state.energy_wh / 1000).toFixed(2) + " kWh" : "–");
      text("power", state.power_w !== undefined && state.charging ? (state.power_w / 1000).toFixed(1) + " kW" : "–");
      text("duration", state.duration_s !== undefined ? duration(state.duration_s) : "–");
      text("cost", state.cost || "–");
      text("offered", state.offered_a !== undefined ? state.offered_a + " A" : "none");
      text("predicted", state.predicted_end ? new Date(state.predicted_end).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
                                              + " (" + state.predicted_reason + ")" : "–");
      const faults = $("faults");
      faults.replaceChildren(...(state.faults || []).map((fault) => {
        const box = document.createElement("div");
        box.className = "fault";
        box.setAttribute("role", "alert");
        const title = document.createElement("h2");
        title.textContent = fault.title + " (" + fault.display + ")";
        const instruction = document.createElement("p");
        instruction.className = "instruction";
        instruction.textContent = fault.instruction;
        box.append(title, instruction);
        return box;
      }));
    }
    async function sessions() {
      try {
        const rows = await (await fetch("/sessions")).json();
        $("sessions").replaceChildren(...(rows.length ? rows : [null]).map((row) => {
          const tr = document.createElement("tr");
          const cells = row ? ["" + row.id, new Date(row.started).toLocaleString(), (row.energy_wh / 1000).toFixed(2) + " kWh",
                               row.cost || "–", row.end_reason || row.status] : ["No sessions yet", "", "", "", ""];
          cells.forEach((value, index) => {
            const td = document.createElement("td");
            td.textContent = value;
            if (index === 2 || index === 3) td.className = "n";
            tr.append(td);
          });
          return tr;
        }));
      } catch (error) { /* the next change of state tries again */ }
    }
    let lastSession;
    function follow() {
      const events = new EventSource("/events");
      events.onopen = () => text("connection", "Live");
      events.onmessage = (event) => {
        const state = JSON.parse(event.data);
        show(state);
        if (state.session !== lastSession) { lastSession = state.session; sessions(); }
      };
      events.onerror = () => text("connection", "Reconnecting…");
    }
    fetch("/state").then((r) => r.json()).then(show).catch(() => {});
    sessions();
    follow();
    document.querySelectorAll("button[data-action]").forEach((button) => button.addEventListener("click", async () => {
      let token = sessionStorage.getItem("token");
      if (!token) { token = prompt("The charger's token"); if (!token) return; }
      let url = "/action/" + button.dataset.action;
      if (button.dataset.action === "limit") {
        const amps = prompt("Current limit in amperes");
        if (!amps) return;
        url += "?amps=" + encodeURIComponent(amps);
      }
      const response = await fetch(url, { method: "POST", headers: { Authorization: "Bearer " + token } });
      const answer = await response.json();
      if (response.status === 401) sessionStorage.removeItem("token"); else sessionStorage.setItem("token", token);
      text("answer", answer.result || answer.error);
    }));
    </script>
    </body>
    </html>
    """#
}
