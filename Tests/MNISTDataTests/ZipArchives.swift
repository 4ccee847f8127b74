// ZIP archives built in memory for the .npz tests (NPZTests, FuzzRegressionTests): any members,
// stored or deflated, so a test can hand the reader exactly the bytes it means to.

import Foundation
import ZIPFoundation

enum ZipArchives {
    /// A ZIP archive holding `members` (name, content) in order.
    static func make(_ members: [(String, Data)], compressed: Bool) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, content) in members {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(content.count),
                                 compressionMethod: compressed ? .deflate : .none) { position, size in
                content.subdata(in: Int(position) ..< Int(position) + size)
            }
        }
        return archive.data!
    }
}
