/// Builds ustar archives for tests, including the hostile entries a reader must refuse.
struct TarFile {
    enum EntryType: UInt8 {
        case file = 0x30
        case hardLink = 0x31
        case symbolicLink = 0x32
        case directory = 0x35
    }

    private(set) var bytes: [UInt8] = []

    /// Appends an entry; `sizeField` overrides the header's size (to describe data that is not there).
    mutating func add(
        _ name: String, _ contents: [UInt8] = [], type: EntryType = .file, prefix: String = "",
        linkTarget: String = "", sizeField: [UInt8]? = nil
    ) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        if let sizeField {
            for (i, byte) in sizeField.enumerated() { header[124 + i] = byte }
        } else {
            put(octal(contents.count, width: 12), at: 124)
        }
        put(octal(0, width: 12), at: 136)
        header[156] = type.rawValue
        put(linkTarget, at: 157)
        put("ustar", at: 257)
        put("00", at: 263)
        put(prefix, at: 345)
        put("        ", at: 148)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        bytes += header
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive with its end marker (two zero blocks).
    var finished: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}
