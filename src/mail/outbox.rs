//! The outbox rows: `enqueue` seals a message's bodies with the field cipher and stores it as
//! pending; `open` unseals one for delivery; `read_outbox` reads what is still readable. It
//! never sends anything (the worker does) and never stores a body in the clear.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::{Deserialize, Serialize};

use super::{Mail, Mailer, status};
use crate::store::entities::mail_message::{self, Column, Entity as MailMessage};

/// The sealed form of a message's bodies.
#[derive(Serialize, Deserialize)]
struct SealedBody {
    text: String,
    html: String,
}

fn seal_context(id: &str) -> String {
    format!("mail:{id}")
}

impl Mailer {
    /// Adds `mail` to the outbox through `db` (a transaction of the caller's, or the pool).
    /// It does not wake the worker: call `wake` once the caller's transaction has committed,
    /// or the worker finds the message on its next poll.
    pub async fn enqueue(&self, db: &impl ConnectionTrait, mail: Mail) -> Result<(), DbErr> {
        let id = uuid::Uuid::now_v7().to_string();
        let body = serde_json::to_vec(&SealedBody {
            text: mail.text,
            html: mail.html,
        })
        .map_err(|e| DbErr::Custom(format!("encoding a mail body: {e}")))?;
        let body_sealed = self
            .cipher
            .seal(&body, &seal_context(&id))
            .map_err(|e| DbErr::Custom(format!("sealing a mail body: {e}")))?;
        let now = self.clock.now();
        mail_message::ActiveModel {
            id: Set(id),
            recipient: Set(mail.to),
            subject: Set(mail.subject),
            body_sealed: Set(body_sealed),
            status: Set(status::PENDING.to_owned()),
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
    pub(super) fn open(&self, message: &mail_message::Model) -> anyhow::Result<Mail> {
        let body = self
            .cipher
            .open(&message.body_sealed, &seal_context(&message.id))?;
        let body: SealedBody = serde_json::from_slice(&body).context("decoding a mail body")?;
        Ok(Mail {
            to: message.recipient.clone(),
            subject: message.subject.clone(),
            text: body.text,
            html: body.html,
        })
    }

    /// Messages to `recipient` that still hold their body (not yet sent, or only logged),
    /// newest first. For development tooling and tests when no SMTP server is configured.
    pub async fn read_outbox(&self, recipient: &str) -> anyhow::Result<Vec<Mail>> {
        let messages = MailMessage::find()
            .filter(Column::Recipient.eq(recipient))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .all(&self.db)
            .await?;
        messages
            .iter()
            .filter(|message| !message.body_sealed.is_empty())
            .map(|message| self.open(message))
            .collect()
    }
}
