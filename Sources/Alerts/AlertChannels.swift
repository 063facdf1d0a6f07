/// The channels an alerts file configures.
public enum AlertChannels {
    /// The channel of `kind`, nil when the file does not configure it. MQTT announces the charger
    /// to Home Assistant as `homeAssistant` and takes commands through `commands`, when its
    /// settings turn those on.
    public static func make(_ kind: ChannelKind, _ configuration: AlertConfiguration, charger: String,
                            homeAssistant: HomeAssistantDevice? = nil, commands: MQTTCommandLink? = nil) -> (any AlertChannel)? {
        let timeout = configuration.delivery.timeout
        switch kind {
        case .email:
            return configuration.email.map { EmailChannel(settings: $0, timeout: timeout) }
        case .webhook:
            return configuration.webhook.map { WebhookChannel(settings: $0, timeout: timeout) }
        case .mqtt:
            return configuration.mqtt.map { MQTTChannel(settings: $0, charger: charger, timeout: timeout, homeAssistant: homeAssistant, link: commands) }
        case .ntfy:
            return configuration.ntfy.map { NtfyChannel(settings: $0, timeout: timeout) }
        case .pushover:
            return configuration.pushover.map { PushoverChannel(settings: $0, timeout: timeout) }
        case .telegram:
            return configuration.telegram.map { TelegramChannel(settings: $0, timeout: timeout) }
        case .sms:
            switch configuration.sms {
            case .modem(let device, let baudRate, let pin)?:
                return SMSModemChannel(device: device, baudRate: baudRate, simPIN: pin, timeout: timeout)
            case .gateway(let endpoint, let body, let contentType, let username, let password, let caFile)?:
                return SMSGatewayChannel(url: endpoint.url, body: body, contentType: contentType, username: username, password: password,
                                         caFile: caFile, timeout: timeout, charger: charger)
            case nil:
                return nil
            }
        }
    }
}
