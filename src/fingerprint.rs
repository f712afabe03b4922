//! Fingerprints of serialisable values: a 64-bit hash of everything a
//! value serialises to, fed straight to a hasher (no JSON text, no
//! escaping). `serve` fingerprints each page's template context to tell
//! which pages an edit changed; that runs over every page on every
//! rebuild, so it has to cost less than writing the contexts out.
//!
//! Every value is written with a tag for its kind, strings and sequences
//! with their length, and struct fields with their names, so that two
//! different values of one type never feed the hasher the same bytes.

use serde::Serialize;
use serde::ser;
use std::fmt;
use std::hash::{DefaultHasher, Hasher};

/// The fingerprint of `value`, with `seed` (e.g. a template's name)
/// hashed first.
pub fn of<T: Serialize + ?Sized>(seed: &str, value: &T) -> u64 {
    let mut s = Ser {
        hasher: DefaultHasher::new(),
        buf: Vec::with_capacity(BUF),
    };
    s.str(seed);
    // Serialising into a hasher fails only for a type whose Serialize
    // fails, which the render contexts never do; a failure still gives a
    // fingerprint, of what was written until then.
    let _ = value.serialize(&mut s);
    s.flush();
    s.hasher.finish()
}

/// Bytes gathered before they go to the hasher: SipHash is fast over long
/// runs and slow over the many small writes a value makes.
const BUF: usize = 16 * 1024;

/// The hashing serialiser.
struct Ser {
    hasher: DefaultHasher,
    buf: Vec<u8>,
}

/// Never produced: hashing cannot fail (`Serialize` impls may still call
/// `Error::custom`).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

// Kinds of value, written before each one.
const NONE: u8 = 0;
const SOME: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 3;
const UINT: u8 = 4;
const FLOAT: u8 = 5;
const CHAR: u8 = 6;
const STR: u8 = 7;
const BYTES: u8 = 8;
const UNIT: u8 = 9;
const SEQ: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const VARIANT: u8 = 13;
const END: u8 = 14;

impl Ser {
    fn flush(&mut self) {
        self.hasher.write(&self.buf);
        self.buf.clear();
    }
    fn bytes(&mut self, b: &[u8]) {
        if self.buf.len() + b.len() > BUF {
            self.flush();
            if b.len() > BUF {
                self.hasher.write(b);
                return;
            }
        }
        self.buf.extend_from_slice(b);
    }
    fn tag(&mut self, t: u8) {
        self.bytes(&[t]);
    }
    fn u64(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes(s.as_bytes());
    }
}

type Res = Result<(), Error>;

impl ser::Serializer for &mut Ser {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Res {
        self.tag(BOOL);
        self.tag(u8::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Res {
        self.tag(INT);
        self.bytes(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Res {
        self.tag(UINT);
        self.u64(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Res {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Res {
        self.tag(FLOAT);
        self.u64(v.to_bits());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        self.tag(CHAR);
        self.u64(u64::from(u32::from(v)));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Res {
        self.tag(STR);
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        self.tag(BYTES);
        self.len(v.len());
        self.bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Res {
        self.tag(NONE);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        self.tag(SOME);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        self.tag(UNIT);
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Res {
        self.tag(UNIT);
        self.str(name);
        Ok(())
    }
    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Res {
        self.tag(VARIANT);
        self.str(name);
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Res {
        self.tag(STRUCT);
        self.str(name);
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        self.tag(VARIANT);
        self.str(name);
        self.str(variant);
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Error> {
        self.tag(SEQ);
        self.len(len.unwrap_or(usize::MAX));
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self, Error> {
        self.tag(STRUCT);
        self.str(name);
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        self.tag(VARIANT);
        self.str(name);
        self.str(variant);
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, Error> {
        self.tag(MAP);
        self.len(len.unwrap_or(usize::MAX));
        Ok(self)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self, Error> {
        self.tag(STRUCT);
        self.str(name);
        self.len(len);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        self.tag(VARIANT);
        self.str(name);
        self.str(variant);
        self.len(len);
        Ok(self)
    }
}

/// Sequences and tuples: each element in turn, then an end tag (so that
/// `[a, b], [c]` and `[a], [b, c]` hash apart).
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Ser {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
                value.serialize(&mut **self)
            }
            fn end(self) -> Res {
                self.tag(END);
                Ok(())
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for &mut Ser {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Res {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        value.serialize(&mut **self)
    }
    fn end(self) -> Res {
        self.tag(END);
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Ser {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.str(key);
        value.serialize(&mut **self)
    }
    fn skip_field(&mut self, key: &'static str) -> Res {
        self.str(key);
        self.tag(NONE);
        Ok(())
    }
    fn end(self) -> Res {
        self.tag(END);
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Ser {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.str(key);
        value.serialize(&mut **self)
    }
    fn end(self) -> Res {
        self.tag(END);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Page<'a> {
        title: &'a str,
        tags: Vec<&'a str>,
        owner: Option<&'a str>,
        count: usize,
    }

    #[test]
    fn different_values_give_different_fingerprints() {
        let p = |title, tags: Vec<&'static str>, owner, count| {
            of(
                "page.html",
                &Page {
                    title,
                    tags,
                    owner,
                    count,
                },
            )
        };
        let base = p("a", vec!["x", "y"], Some("o"), 1);
        assert_eq!(base, p("a", vec!["x", "y"], Some("o"), 1));
        for other in [
            p("b", vec!["x", "y"], Some("o"), 1),
            // Strings carry their length: "xy" + "" is not "x" + "y".
            p("a", vec!["xy", ""], Some("o"), 1),
            p("a", vec!["x", "y", ""], Some("o"), 1),
            p("a", vec!["x", "y"], None, 1),
            p("a", vec!["x", "y"], Some(""), 1),
            p("a", vec!["x", "y"], Some("o"), 2),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(
            of("page.html", &("a", "b")),
            of("role.html", &("a", "b")),
            "the seed counts"
        );
    }
}
