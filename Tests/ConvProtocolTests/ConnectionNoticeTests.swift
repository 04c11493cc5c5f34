import ConvProtocol
import Testing

@Suite struct ConnectionNoticeTests {
    @Test func aNoticeReadsBackAndItsLineIsTheDocumentedOne() throws {
        let notice = ConnectionNotice(.dropped, "more than 1024 events waited to be sent: the viewer reads too slowly")
        #expect(
            notice.jsonLine()
                == #"{"message":"more than 1024 events waited to be sent: the viewer reads too slowly","type":"dropped","v":1}"#
        )
        #expect(try ConnectionNotice(jsonLine: Substring(notice.jsonLine())) == notice)
    }

    @Test func eventAndCommandLinesAreNotNotices() {
        for line in [
            TrainingCommand.pause.jsonLine(), #"{"v":1,"type":"error"}"#, #"{"v":2,"type":"live","message":"x"}"#,
        ] {
            #expect(throws: ProtocolError.self) { try ConnectionNotice(jsonLine: Substring(line)) }
        }
    }
}
