//! The outbox rows: `enqueue` seals a message (number and text together) and stores it as
//! pending; `open` unseals one for delivery. Never stores a number or a text in the clear.

use anyhow::Context;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde::{Deserialize, Serialize};

use super::{SmsSender, TextMessage};
use crate::store::entities::sms_message;

pub(super) const PENDING: &str = "pending";
pub(super) const SENT: &str = "sent";
pub(super) const FAILED: &str = "failed";

/// The sealed form of a message.
#[derive(Serialize, Deserialize)]
struct SealedMessage {
    to: String,
    body: String,
}

fn seal_context(id: &str) -> String {
    format!("sms:{id}")
}

impl SmsSender {
    /// Adds `message` to the outbox through `db` and wakes the worker (call it after the
    /// transaction commits when `db` is one, or the worker finds it on its next poll).
    pub async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        message: TextMessage,
    ) -> Result<(), DbErr> {
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = serde_json::to_vec(&SealedMessage {
            to: message.to,
            body: message.body,
        })
        .map_err(|e| DbErr::Custom(format!("encoding a text message: {e}")))?;
        let body_sealed = self
            .cipher
            .seal(&sealed, &seal_context(&id))
            .map_err(|e| DbErr::Custom(format!("sealing a text message: {e}")))?;
        let now = self.clock.now();
        sms_message::ActiveModel {
            id: Set(id),
            body_sealed: Set(body_sealed),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(())
    }

    pub(super) fn open(&self, row: &sms_message::Model) -> anyhow::Result<TextMessage> {
        let sealed = self.cipher.open(&row.body_sealed, &seal_context(&row.id))?;
        let message: SealedMessage =
            serde_json::from_slice(&sealed).context("decoding a text message")?;
        Ok(TextMessage {
            to: message.to,
            body: message.body,
        })
    }
}
