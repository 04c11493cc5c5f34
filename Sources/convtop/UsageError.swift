/// A problem with what the user asked for (an option, a file, a dataset), reported as one line
/// on standard error with exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
