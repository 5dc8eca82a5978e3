//! What the tonic services and plain HTTP routes share below the server: `reply`, the one
//! place a gRPC `Status` becomes an HTTP answer. It knows no capability; capabilities use it
//! instead of reaching into `server`, which sits above them all.

pub mod reply;
