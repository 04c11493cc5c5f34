import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a run's socket could not be opened, served or reached: the path and the problem.
public struct RunSocketError: Error, CustomStringConvertible {
    public var description: String

    init(_ path: String, _ problem: String) {
        description = "\(path): \(problem)"
    }

    /// The problem `errno` names, after `call` failed.
    static func system(_ path: String, _ call: String) -> RunSocketError {
        RunSocketError(path, "\(call) failed: \(String(cString: strerror(errno)))")
    }
}

/// The few Unix-domain socket calls a run's server and its clients make.
enum UnixSocket {
    /// Linux's `struct ucred`, filled by `SO_PEERCRED` (Glibc's Swift module does not import it).
    struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// A listening socket at `path`, readable and writable by its owner only. A socket file left by
    /// a process that died is replaced; one that still answers is another live run's, and refused.
    static func listen(at path: String) throws -> Int32 {
        var address = try self.address(path)
        if FileManager.default.fileExists(atPath: path) {
            if let live = try? connect(to: path) {
                Glibc.close(live)
                throw RunSocketError(path, "another process is serving this run")
            }
            unlink(path)
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RunSocketError.system(path, "socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // The folder is the owner's alone, so nobody can reach the socket before its mode is set.
        guard bound == 0, chmod(path, 0o600) == 0, Glibc.listen(descriptor, 16) == 0 else {
            let error = RunSocketError.system(path, "bind/listen")
            Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    /// A socket connected to the server at `path`.
    static func connect(to path: String) throws -> Int32 {
        var address = try self.address(path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RunSocketError.system(path, "socket") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = RunSocketError.system(path, "connect")
            Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    /// The user id of the process at the other end of a connected socket.
    static func peerUID(_ descriptor: Int32) -> UInt32? {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials.uid
    }

    /// Makes a blocked `send` give up after `seconds`, so that a peer that stopped reading cannot
    /// hold its writer forever.
    static func setSendTimeout(_ descriptor: Int32, seconds: Double) {
        setTimeout(descriptor, SO_SNDTIMEO, seconds)
    }

    /// Makes a blocked `recv` give up after `seconds`.
    static func setReceiveTimeout(_ descriptor: Int32, seconds: Double) {
        setTimeout(descriptor, SO_RCVTIMEO, seconds)
    }

    private static func setTimeout(_ descriptor: Int32, _ option: Int32, _ seconds: Double) {
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes every byte, or returns false once the peer is gone or a send timed out. Never
    /// raises SIGPIPE.
    static func writeAll(_ descriptor: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw RunSocketError(
                path, "the socket's path is \(bytes.count) bytes, more than the \(capacity - 1) a socket path may have")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }
}
