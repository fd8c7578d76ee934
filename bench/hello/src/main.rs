//! The floor `pointauth token` is measured against: start, print one line, exit.

fn main() {
    println!("hello, world");
}
