//! The top-level fields of a small JSON document (a JWT's claims, an OIDC discovery document):
//! strings, arrays of strings and integers; anything else is skipped.

use aws_smithy_json::deserialize::{json_token_iter, token::skip_value, Token};
use aws_smithy_types::Number;

/// A JSON value the checks read.
pub(super) enum Json {
    Str(String),
    Strs(Vec<String>),
    Int(i64),
    Other,
}

/// The top-level fields of a JSON object (strings, arrays of strings, integers).
pub(super) fn top_level(text: &str) -> Option<Vec<(String, Json)>> {
    let mut tokens = json_token_iter(text.as_bytes()).peekable();
    let Some(Ok(Token::StartObject { .. })) = tokens.next() else {
        return None;
    };
    let mut out = Vec::new();
    loop {
        let key = match tokens.next()?.ok()? {
            Token::EndObject { .. } => return Some(out),
            Token::ObjectKey { key, .. } => key.to_unescaped().ok()?.into_owned(),
            _ => return None,
        };
        let value = match tokens.peek()?.as_ref().ok()? {
            Token::ValueString { value, .. } => {
                let s = value.to_unescaped().ok()?.into_owned();
                tokens.next();
                Json::Str(s)
            }
            Token::ValueNumber { value, .. } => {
                let n = match value {
                    Number::PosInt(n) => i64::try_from(*n).ok(),
                    Number::NegInt(n) => Some(*n),
                    Number::Float(f) => Some(*f as i64),
                };
                tokens.next();
                n.map_or(Json::Other, Json::Int)
            }
            Token::StartArray { .. } => {
                tokens.next();
                let mut items = Vec::new();
                loop {
                    match tokens.next()?.ok()? {
                        Token::EndArray { .. } => break,
                        Token::ValueString { value, .. } => {
                            items.push(value.to_unescaped().ok()?.into_owned())
                        }
                        _ => return None,
                    }
                }
                Json::Strs(items)
            }
            _ => {
                skip_value(&mut tokens).ok()?;
                Json::Other
            }
        };
        out.push((key, value));
    }
}
