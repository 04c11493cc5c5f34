import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads one URL to a file, reporting progress, and fails unless every byte arrived.
enum HTTPDownload {
    /// Called with the bytes received so far and the total, when the server says it.
    typealias Progress = @Sendable (_ received: Int64, _ total: Int64?) -> Void

    static func download(_ url: URL, to file: URL, progress: Progress?) throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: file.path)
        else {
            throw DataError.unreadable(file.path, reason: "cannot create the file")
        }
        let transfer = Transfer(handle: handle, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: nil)
        session.dataTask(with: url).resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        try? handle.close()
        if let failure = transfer.failure { throw DataError.download(url: url.absoluteString, reason: failure) }
    }
}

/// Receives one transfer's callbacks.
///
/// `@unchecked Sendable` is safe because URLSession calls a delegate's methods one at a time on
/// its serial delegate queue, and the waiting thread reads `failure` only after `finished` is
/// signalled by the last callback.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let handle: FileHandle
    private let progress: HTTPDownload.Progress?
    private var received: Int64 = 0
    private var expected: Int64?
    private(set) var failure: String?

    init(handle: FileHandle, progress: HTTPDownload.Progress?) {
        self.handle = handle
        self.progress = progress
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            failure = "HTTP \(http.statusCode)"
            completionHandler(.cancel)
            return
        }
        expected = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        progress?(0, expected)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = "cannot write: \(error.localizedDescription)"
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        progress?(received, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            failure = error.localizedDescription
        }
        if failure == nil, let expected, received != expected {
            failure = "connection closed after \(received) of \(expected) bytes"
        }
        finished.signal()
    }
}
