import CavraJSON
import Testing

@Suite struct ECMAScriptNumberTests {
    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their expected JSON text.
    @Test(
        arguments: [
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
            (0x7fff_ffff_ffff_ffff, "NaN"),
            (0x7ff0_0000_0000_0000, "Infinity"),
        ] as [(UInt64, String)])
    func matchesTheRFCSamples(bits: UInt64, expected: String) {
        #expect(ECMAScriptNumber.string(Double(bitPattern: bits)) == expected)
    }

    @Test(arguments: [
        (1.0, "1"), (100.0, "100"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (1e-6, "0.000001"),
        (1e-7, "1e-7"), (123e-20, "1.23e-18"), (0.1, "0.1"), (-1.5, "-1.5"), (123456.789, "123456.789"),
        (1.5e300, "1.5e+300"), (-2.5e-10, "-2.5e-10"), (0.00012, "0.00012"), (-Double.infinity, "-Infinity"),
    ])
    func laysOutDigitsAsNumberToString(value: Double, expected: String) {
        #expect(ECMAScriptNumber.string(value) == expected)
    }

    @Test func readsBackAsTheSameDouble() {
        // Bit patterns spread over every exponent, from a fixed linear congruential sequence.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            guard value.isFinite else { continue }
            let text = ECMAScriptNumber.string(value)
            #expect(Double(text) == value, "\(text) does not read back as \(value)")
        }
    }
}
