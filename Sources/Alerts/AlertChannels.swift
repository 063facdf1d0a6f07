/// The channels an alerts file configures.
public enum AlertChannels {
    public static func make(_ configuration: AlertConfiguration, charger: String) -> [any AlertChannel] {
        let timeout = configuration.delivery.timeout
        var channels: [any AlertChannel] = []
        if let email = configuration.email { channels.append(EmailChannel(settings: email, timeout: timeout, charger: charger)) }
        if let webhook = configuration.webhook { channels.append(WebhookChannel(settings: webhook, timeout: timeout)) }
        if let mqtt = configuration.mqtt { channels.append(MQTTChannel(settings: mqtt, charger: charger, timeout: timeout)) }
        switch configuration.sms {
        case .modem(let device, let baudRate, let pin)?:
            channels.append(SMSModemChannel(device: device, baudRate: baudRate, simPIN: pin, timeout: timeout))
        case .gateway(let endpoint, let body, let contentType, let username, let password, let caFile)?:
            channels.append(SMSGatewayChannel(url: endpoint.url, body: body, contentType: contentType, username: username, password: password,
                                              caFile: caFile, timeout: timeout, charger: charger))
        case nil:
            break
        }
        return channels
    }
}
