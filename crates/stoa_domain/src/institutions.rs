//! Institutions: the legal entities that pay for communities.

use stoa_db::accounts::AccountId;
use stoa_db::{Conn, WriteTx, institutions};
use stoa_model::Action;

use crate::audit::Audit;
use crate::{Ctx, DomainError, Result, access};

/// Registers an institution from the community sign-up form (legal name and country, both
/// checked by the caller); the caller becomes its admin. Returns its id.
pub(crate) async fn create_minimal(
    ctx: &Ctx,
    tx: &mut WriteTx,
    legal_name: &str,
    country: &str,
) -> Result<i64> {
    let me = access::signed_in(ctx, Action::CreateInstitution)?;
    let fields = institutions::InstitutionFields {
        legal_name,
        address: "",
        country,
        tax_id: "",
        billing_contacts: "",
    };
    let id = institutions::create(tx.conn(), &fields, me.id, ctx.now).await?;
    Audit::by(me, "institution.created", legal_name)
        .institution(Some(id))
        .after(serde_json::json!({"legal_name": legal_name, "country": country}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(id)
}

/// The institution chosen in a form's `institution` field: none when empty, else one that
/// `account` administers (anyone else's is refused: choosing who pays is theirs).
pub async fn one_of_mine(conn: Conn<'_>, choice: &str, account: AccountId) -> Result<Option<i64>> {
    let refuse = || {
        DomainError::invalid(
            "institution",
            "Choose one of the institutions you administer, or a new one.",
        )
    };
    match choice.trim() {
        "" => Ok(None),
        id => {
            let id: i64 = id.parse().map_err(|_| refuse())?;
            if institutions::is_admin(conn, id, account).await? {
                Ok(Some(id))
            } else {
                Err(refuse())
            }
        }
    }
}
