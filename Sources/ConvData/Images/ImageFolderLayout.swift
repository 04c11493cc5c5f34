import Foundation

/// One image file of an image folder, with what identifies its contents for the decode cache.
struct ImageFile: Sendable, Equatable {
    /// Relative to the dataset folder, with `/` separators.
    var path: String
    var label: Int32
    var split: ImageFolderSplit.Role
    var byteCount: Int
    var modified: Int64
}

/// One split of an image folder: its class folders and their image files.
struct ImageFolderSplit: Sendable {
    enum Role: String, Sendable, CaseIterable {
        case train, validation, test
    }

    var role: Role
    /// Relative to the dataset folder; "" when the dataset folder itself is the training split.
    var folder: String
    var classNames: [String]
    /// Sorted by class, then by path.
    var files: [ImageFile]
}

/// Finds the splits, classes and image files of a folder in torchvision's ImageFolder layout:
/// `PATH/<class>/**/<image>`, or the same under `PATH/train/`, `PATH/val/` (`valid/`,
/// `validation/`) and `PATH/test/`. Hidden files and folders and files without an image
/// extension are ignored; symbolic links are followed (a link cycle is walked once).
enum ImageFolderLayout {
    static let splitFolderNames: [ImageFolderSplit.Role: [String]] = [
        .train: ["train"], .validation: ["val", "valid", "validation"], .test: ["test"],
    ]

    /// True when `folder` has split folders, or a class folder with an image file at any depth.
    static func isImageFolder(_ folder: URL, subfolders: [String]) -> Bool {
        if subfolders.contains(where: { name in splitFolderNames.values.contains { $0.contains(name.lowercased()) } }) {
            return true
        }
        return subfolders.contains { subfolder in
            var visited = Set<String>()
            return !imageFiles(
                in: folder.appendingPathComponent(subfolder).path, relativeTo: "", visited: &visited,
                stopAtFirst: true
            ).isEmpty
        }
    }

    /// True when `folder` itself (not its subfolders) holds an image file.
    static func holdsImages(_ folder: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains { !$0.hasPrefix(".") && isImageName($0) }
    }

    static func isImageName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return ImageFileFormat.fileExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// The splits of the image folder at `root`; the training split first.
    static func scan(_ root: URL) throws -> [ImageFolderSplit] {
        let subfolders = try visibleEntries(root).filter {
            FileStatus(root.appendingPathComponent($0).path)?.isFolder == true
        }
        var splits = [ImageFolderSplit]()
        for role in ImageFolderSplit.Role.allCases {
            let names = subfolders.filter { splitFolderNames[role]!.contains($0.lowercased()) }
            guard let name = names.first else { continue }
            if names.count > 1 {
                throw DataError.malformed(
                    file: root.path, detail: "more than one \(role.rawValue) folder (\(names.joined(separator: ", ")))")
            }
            splits.append(try split(role, root: root, folder: name))
        }
        if splits.isEmpty {
            splits.append(try split(.train, root: root, folder: ""))
        } else if splits.first?.role != .train {
            throw DataError.malformed(
                file: root.path,
                detail: "has \(splits.map { $0.folder + "/" }.joined(separator: " and ")) but no train/ folder")
        }
        let train = splits[0]
        for other in splits.dropFirst() where other.classNames != train.classNames {
            let missing = Set(train.classNames).subtracting(other.classNames).sorted()
            let extra = Set(other.classNames).subtracting(train.classNames).sorted()
            let differences =
                (missing.isEmpty ? [] : ["missing " + missing.joined(separator: ", ")])
                + (extra.isEmpty ? [] : ["extra " + extra.joined(separator: ", ")])
            throw DataError.malformed(
                file: root.appendingPathComponent(other.folder).path,
                detail: "classes differ from \(train.folder)/ (\(differences.joined(separator: "; ")))")
        }
        return splits
    }

    private static func split(_ role: ImageFolderSplit.Role, root: URL, folder: String) throws -> ImageFolderSplit {
        let url = folder.isEmpty ? root : root.appendingPathComponent(folder)
        let classNames = try visibleEntries(url).filter {
            FileStatus(url.appendingPathComponent($0).path)?.isFolder == true
        }
        guard !classNames.isEmpty else {
            throw DataError.malformed(file: url.path, detail: "no class folders (expected <class>/<image> files)")
        }
        var files = [ImageFile]()
        for (label, name) in classNames.enumerated() {
            var visited = Set<String>()
            let prefix = folder.isEmpty ? name : folder + "/" + name
            for (path, status) in imageFiles(
                in: url.appendingPathComponent(name).path, relativeTo: prefix, visited: &visited)
            {
                files.append(
                    ImageFile(
                        path: path, label: Int32(label), split: role, byteCount: status.size,
                        modified: status.modified))
            }
        }
        return ImageFolderSplit(role: role, folder: folder, classNames: classNames, files: files)
    }

    /// Paths (as `relativeTo/...`) and status of the image files under `folder`, sorted, recursively.
    /// Paths stay strings: building a URL per file costs more than the `stat` itself.
    static func imageFiles(
        in folder: String, relativeTo prefix: String, visited: inout Set<String>,
        stopAtFirst: Bool = false
    ) -> [(String, FileStatus)] {
        guard visited.insert(URL(fileURLWithPath: folder).resolvingSymlinksInPath().path).inserted,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder)
        else { return [] }
        var found = [(String, FileStatus)]()
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = folder + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            guard let status = FileStatus(path) else { continue }
            if status.isFolder {
                found += imageFiles(in: path, relativeTo: relative, visited: &visited, stopAtFirst: stopAtFirst)
            } else if isImageName(name) {
                found.append((relative, status))
            }
            if stopAtFirst && !found.isEmpty { break }
        }
        return found
    }

    private static func visibleEntries(_ folder: URL) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
                .sorted()
        } catch {
            throw DataError.unreadable(folder.path, reason: "cannot list the folder")
        }
    }
}
