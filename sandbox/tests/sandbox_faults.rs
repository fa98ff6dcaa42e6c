//! The fault scripts `storeshift sandbox --fault N=KIND` and `POST /__sandbox/faults` take.

use proptest::prelude::*;
use std::time::Duration;
use storeshift_sandbox::Fault;

#[test]
fn fault_specs_read_like_the_command_line_says() {
    assert_eq!(
        Fault::parse_spec("7=429:2"),
        Ok((
            7,
            Fault::TooManyRequests {
                retry_after_secs: 2.0
            }
        ))
    );
    assert_eq!(
        Fault::parse_spec("8=429"),
        Ok((
            8,
            Fault::TooManyRequests {
                retry_after_secs: 1.0
            }
        ))
    );
    assert_eq!(Fault::parse_spec("12=503"), Ok((12, Fault::Status(503))));
    assert_eq!(Fault::parse_spec("20=reset"), Ok((20, Fault::Reset)));
    assert_eq!(
        Fault::parse_spec("30=malformed"),
        Ok((30, Fault::MalformedJson))
    );
    assert_eq!(
        Fault::parse_spec("40=slow:1.5"),
        Ok((40, Fault::Slow(Duration::from_millis(1500))))
    );
    assert_eq!(
        Fault::parse_spec("50=graphql"),
        Ok((50, Fault::GraphqlError))
    );
    for bad in [
        "0=503",
        "x=503",
        "5",
        "5=404",
        "5=slow",
        "5=slow:-1",
        "5=teapot",
        "5=503:2",
    ] {
        let e = Fault::parse_spec(bad).expect_err(bad);
        assert!(e.contains(bad), "{e}");
    }
}

proptest! {
    #[test]
    fn any_text_is_a_fault_or_an_error_naming_it(s in "\\PC{0,20}") {
        if let Err(e) = Fault::parse_spec(&s) {
            let quoted = format!("{:?}", s);
        prop_assert!(e.contains(&quoted));
        }
    }

    #[test]
    fn status_specs_round_trip(n in 1u64..1_000_000, code in 500u16..600) {
        prop_assert_eq!(Fault::parse_spec(&format!("{n}={code}")), Ok((n, Fault::Status(code))));
    }
}
