//! A callback that is answered exactly once: by its caller, or with an error when it is dropped
//! uncalled (a panic in the task that was to call it, or a runtime shutting down with the task).
//!
//! A binding completes its own future from such a callback (Python's asyncio); one that is
//! never called leaves that future pending forever (issue 19, item 6).

use crate::error::{Error, Result};

/// Calls the wrapped callback once: through [`Answer::send`], or with an error on drop.
pub(crate) struct Answer<T, F: FnOnce(Result<T>)> {
    done: Option<F>,
    _answer: std::marker::PhantomData<fn(T)>,
}

impl<T, F: FnOnce(Result<T>)> Answer<T, F> {
    /// Wraps `done`.
    pub(crate) fn new(done: F) -> Self {
        Answer {
            done: Some(done),
            _answer: std::marker::PhantomData,
        }
    }

    /// Calls the callback with `result`.
    pub(crate) fn send(mut self, result: Result<T>) {
        if let Some(done) = self.done.take() {
            done(result);
        }
    }
}

impl<T, F: FnOnce(Result<T>)> Drop for Answer<T, F> {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(Err(Error::ProviderError {
                provider: "rds-iam runtime".into(),
                detail: "the background task for this token stopped without an answer (it \
                         panicked, or the process is shutting down); try again"
                    .into(),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn an_answer_dropped_uncalled_sends_an_error_and_a_sent_one_sends_once() {
        let (tx, rx) = mpsc::channel::<Result<u8>>();
        let sender = tx.clone();
        drop(Answer::new(move |r| sender.send(r).unwrap()));
        let err = rx.try_recv().unwrap().unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ProviderError);
        Answer::new(move |r| tx.send(r).unwrap()).send(Ok(7));
        assert_eq!(rx.try_recv().unwrap().unwrap(), 7);
        assert!(rx.try_recv().is_err(), "called once");
    }
}
