//! `make fuzz`: see rds_iam::fuzzing::pg_server_login for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rds_iam::fuzzing::pg_server_login(data));
