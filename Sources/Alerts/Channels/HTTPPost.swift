import CCurl

/// An HTTP POST through libcurl that counts as delivered on a 2xx answer. 4xx answers (but 408
/// and 429) are permanent: the same request will be refused again.
enum HTTPPost {
    static func send(to url: String, body: String, contentType: String, headers: [String] = [], credentials: (String, String)? = nil,
                     timeout: Duration, caFile: String?) throws(DeliveryError) {
        let transfer = try CurlTransfer(url: url, timeout: timeout, caFile: caFile)
        try transfer.set(CURLOPT_HTTPHEADER, list: ["Content-Type: \(contentType)", "User-Agent: evsed", "Expect:"] + headers)
        if let (username, password) = credentials {
            try transfer.set(CURLOPT_USERNAME, string: username)
            try transfer.set(CURLOPT_PASSWORD, string: password)
        }
        try transfer.setPostBody(body)
        try transfer.perform()
        let status = transfer.responseCode
        guard (200..<300).contains(status) else {
            let answer = transfer.responseLine
            throw DeliveryError("HTTP \(status) from \(url)\(answer.isEmpty ? "" : ": \(answer)")",
                                permanent: (400..<500).contains(status) && status != 408 && status != 429)
        }
    }
}
