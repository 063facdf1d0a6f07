enum SimulationPending {}
