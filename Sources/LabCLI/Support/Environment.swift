// The environment as `lab` uses it: relative HOME, XDG_CACHE_HOME and XDG_DATA_HOME are ignored
// at startup (the XDG spec says to ignore relative paths), so neither gdlab's cache nor
// Foundation's own folders (the URL cache a download attempt creates) land under the current
// directory, and gnuplot, which inherits the environment, sees the same.

import Foundation
import LabSupport
import MNISTNet

enum Environment {
    /// Unsets a relative `XDG_CACHE_HOME` / `XDG_DATA_HOME`, and replaces a relative or empty
    /// `HOME` with the account's home folder from the password database (or unsets it).
    static func ignoreRelativeHomes() {
        for name in ["XDG_CACHE_HOME", "XDG_DATA_HOME"] {
            if let value = getenv(name).map({ String(cString: $0) }), !value.hasPrefix("/") { unsetenv(name) }
        }
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.hasPrefix("/") else { return }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir,
           String(cString: directory).hasPrefix("/") {
            setenv("HOME", directory, 1)
        } else {
            unsetenv("HOME")
        }
    }
}
