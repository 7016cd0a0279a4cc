//! `make fuzz`: see rds_iam::fuzzing::mysql_client_response for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rds_iam::fuzzing::mysql_client_response(data));
