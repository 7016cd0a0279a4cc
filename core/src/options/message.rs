//! [`Message`]: error text that names options, rendered in the spelling of each surface.

use std::borrow::Cow;

use super::param::{Param, Surface};

/// Text with option names in it, e.g. "`role_session_name` and `external_id` need `role_arn`":
/// each name is a [`Param`] until the text is rendered for a [`Surface`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(Cow<'static, str>),
    Name(Param),
}

impl Message {
    /// A message that starts with `text`.
    pub fn text(text: impl Into<Cow<'static, str>>) -> Self {
        Message::default().then(text)
    }

    /// A message that starts with the name of `param`.
    pub fn name(param: Param) -> Self {
        Message::default().then_name(param)
    }

    /// Appends plain text.
    pub fn then(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.parts.push(Part::Text(text.into()));
        self
    }

    /// Appends the name of `param`, in backticks once rendered.
    pub fn then_name(mut self, param: Param) -> Self {
        self.parts.push(Part::Name(param));
        self
    }

    /// Appends another message.
    pub fn then_message(mut self, other: Message) -> Self {
        self.parts.extend(other.parts);
        self
    }

    /// The text with every option named as `surface` spells it.
    pub fn render(&self, surface: Surface) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Name(p) => {
                    out.push('`');
                    out.push_str(p.spelling(surface));
                    out.push('`');
                }
            }
        }
        out
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::text(text)
    }
}

impl From<&'static str> for Message {
    fn from(text: &'static str) -> Self {
        Message::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_render_in_the_surface_spelling() {
        let m = Message::name(Param::RoleSessionName)
            .then(" needs ")
            .then_name(Param::RoleArn);
        assert_eq!(
            m.render(Surface::Python),
            "`role_session_name` needs `role_arn`"
        );
        assert_eq!(m.render(Surface::Node), "`roleSessionName` needs `roleArn`");
        assert_eq!(
            m.render(Surface::Cli),
            "`--role-session-name` needs `--role-arn`"
        );
    }
}
