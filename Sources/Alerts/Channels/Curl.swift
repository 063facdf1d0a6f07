#if canImport(Glibc)
import Glibc
#endif
import CCurl

/// libcurl, opened at the first transfer (see Sources/CCurl/shim.h) and initialised once. The
/// function table never changes once loaded, hence unchecked Sendable.
private final class CurlLibrary: @unchecked Sendable {
    let api: Result<evsed_curl, DeliveryError>

    static let shared = CurlLibrary()

    private init() {
        var api = evsed_curl()
        guard evsed_curl_open(&api) != 0 else {
            let reason = dlerror().map { String(cString: $0) } ?? "a function is missing"
            self.api = .failure(DeliveryError("libcurl could not be loaded (\(reason)); install libcurl4"))
            return
        }
        guard api.global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
            self.api = .failure(DeliveryError("libcurl could not be initialised"))
            return
        }
        self.api = .success(api)
    }
}

/// One transfer through libcurl's easy interface (the only importer of CCurl): an HTTP POST, or
/// a mail handed to an SMTP server. Signals are off (CURLOPT_NOSIGNAL): it runs on a worker thread.
final class CurlTransfer {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    /// What the server answered (HTTP body).
    private(set) var response: [UInt8] = []
    private var upload: [UInt8] = []
    private var uploaded = 0

    private let api: evsed_curl

    init(url: String, timeout: Duration, caFile: String?) throws(DeliveryError) {
        api = try CurlLibrary.shared.api.get()
        guard let handle = api.easy_init() else { throw DeliveryError("libcurl could not make a transfer") }
        self.handle = handle
        try set(CURLOPT_URL, string: url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, Int(timeout.seconds * 1000))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(min(timeout.seconds, 10) * 1000))
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https,smtp,smtps")
        if let caFile { try set(CURLOPT_CAINFO, string: caFile) }
        var api = self.api
        let check = errorBuffer.withUnsafeMutableBufferPointer { evsed_curl_set_pointer(&api, handle, CURLOPT_ERRORBUFFER, $0.baseAddress) }
        guard check == CURLE_OK else { throw DeliveryError("libcurl: \(describe(check))") }
        let me = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_WRITEDATA, pointer: me)
        try set(CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let bytes = size * count
            // A webhook's answer is not needed beyond a line for the error message.
            if transfer.response.count < 4096, let data {
                transfer.response += UnsafeRawBufferPointer(start: data, count: bytes).prefix(4096 - transfer.response.count)
            }
            return bytes
        }
    }

    deinit {
        api.easy_cleanup(handle)
        for list in lists { api.slist_free_all(list) }
        for string in strings { free(string) }
    }

    func set(_ option: CURLoption, _ value: Int) throws(DeliveryError) {
        try check(withAPI { evsed_curl_set_long($0, handle, option, value) }, option)
    }

    func set(_ option: CURLoption, string: String) throws(DeliveryError) {
        // libcurl copies most strings, but not all of them in every version: keep ours alive.
        let copy = strdup(string)!
        strings.append(copy)
        try check(withAPI { evsed_curl_set_pointer($0, handle, option, copy) }, option)
    }

    func set(_ option: CURLoption, list: [String]) throws(DeliveryError) {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list { head = api.slist_append(head, item) }
        guard let head else { return }
        lists.append(head)
        try check(withAPI { evsed_curl_set_pointer($0, handle, option, head) }, option)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(DeliveryError) {
        try check(withAPI { evsed_curl_set_pointer($0, handle, option, pointer) }, option)
    }

    private func set(_ option: CURLoption, function: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int) throws(DeliveryError) {
        try check(withAPI { evsed_curl_set_function($0, handle, option, function) }, option)
    }

    /// The bytes libcurl reads as the body of an upload (the mail).
    func setUpload(_ bytes: [UInt8]) throws(DeliveryError) {
        upload = bytes
        uploaded = 0
        try set(CURLOPT_UPLOAD, 1)
        try set(CURLOPT_INFILESIZE, bytes.count)
        try set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try set(CURLOPT_READFUNCTION) { buffer, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let length = min(size * count, transfer.upload.count - transfer.uploaded)
            guard length > 0, let buffer else { return 0 }
            transfer.upload.withUnsafeBytes { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + transfer.uploaded, byteCount: length)
            }
            transfer.uploaded += length
            return length
        }
    }

    /// The body of a POST (copied by libcurl).
    func setPostBody(_ body: String) throws(DeliveryError) {
        try set(CURLOPT_POSTFIELDSIZE, body.utf8.count)
        try check(body.withCString { text in withAPI { evsed_curl_set_pointer($0, handle, CURLOPT_COPYPOSTFIELDS, text) } }, CURLOPT_COPYPOSTFIELDS)
    }

    /// Runs the transfer (`curl_easy_perform`); a failure names what libcurl saw.
    func perform() throws(DeliveryError) {
        let result = api.easy_perform(handle)
        guard result == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let summary = describe(result)
            // A refused login, or a 5xx reply of an SMTP server (a recipient or sender refused), will
            // not change by retrying. (HTTP answers reach the caller as a status, not as a failure.)
            let permanent = result == CURLE_LOGIN_DENIED || result == CURLE_REMOTE_ACCESS_DENIED || result == CURLE_UNSUPPORTED_PROTOCOL
                || (500..<600).contains(responseCode)
            throw DeliveryError(detail.isEmpty || detail == summary ? summary : "\(summary): \(detail)", permanent: permanent)
        }
    }

    /// The HTTP status or the last SMTP reply code.
    var responseCode: Int {
        var code = 0
        _ = withAPI { evsed_curl_get_long($0, handle, CURLINFO_RESPONSE_CODE, &code) }
        return code
    }

    /// The first line of the answer, for an error message.
    var responseLine: String {
        String(decoding: response.prefix { $0 != 10 && $0 != 13 }.prefix(200), as: UTF8.self)
    }

    private func describe(_ code: CURLcode) -> String {
        api.easy_strerror(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
    }

    /// The function table, for the shim's typed doors.
    private func withAPI<Result>(_ body: (UnsafePointer<evsed_curl>) -> Result) -> Result {
        withUnsafePointer(to: api, body)
    }

    private func check(_ result: CURLcode, _ option: CURLoption) throws(DeliveryError) {
        guard result == CURLE_OK else {
            throw DeliveryError("libcurl refused option \(option.rawValue): \(describe(result))", permanent: true)
        }
    }
}
