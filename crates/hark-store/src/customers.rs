//! CRM customers: imported all-or-nothing, updated in place by CRM reference.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hark_core::{Customer, CustomerId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError, query_error, timestamp};

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Whether a record in an import is new, changed or the same as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerWrite {
    Create,
    Update,
    Unchanged,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("customer fields always serialise")
}

impl Store {
    /// Writes a whole import in one transaction: new CRM references are created, changed
    /// records updated, identical ones left alone (so importing the same file twice changes
    /// nothing, not even `updated_at`). With `dry_run` the transaction is rolled back and the
    /// summary says what would have happened.
    pub async fn apply_customer_import(
        &self,
        customers: &[Customer],
        actor: &str,
        origin: &str,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<CustomerImportSummary> {
        let mut tx = self.begin_write("starting a customer import").await?;
        let existing: HashMap<String, String> = sqlx::query_as("SELECT crm_ref, content_hash FROM customers")
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error("reading customers"))?
            .into_iter()
            .collect();
        let mut summary = CustomerImportSummary::default();
        for customer in customers {
            let fingerprint = customer.content_fingerprint();
            let write = match existing.get(&customer.crm_ref) {
                None => CustomerWrite::Create,
                Some(stored) if *stored == fingerprint => CustomerWrite::Unchanged,
                Some(_) => CustomerWrite::Update,
            };
            match write {
                CustomerWrite::Create => summary.created += 1,
                CustomerWrite::Update => summary.updated += 1,
                CustomerWrite::Unchanged => {
                    summary.unchanged += 1;
                    continue;
                }
            }
            sqlx::query(
                "INSERT INTO customers (id, crm_ref, name, emails, company, domains, handles, products, tier, owner, extra,
                    content_hash, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (crm_ref) DO UPDATE SET name = excluded.name, emails = excluded.emails,
                    company = excluded.company, domains = excluded.domains, handles = excluded.handles,
                    products = excluded.products, tier = excluded.tier, owner = excluded.owner,
                    extra = excluded.extra, content_hash = excluded.content_hash,
                    updated_at = excluded.updated_at",
            )
            .bind(CustomerId::for_crm_ref(&customer.crm_ref).as_str())
            .bind(&customer.crm_ref)
            .bind(&customer.name)
            .bind(json(&customer.emails))
            .bind(&customer.company)
            .bind(json(&customer.domains))
            .bind(json(&customer.handles))
            .bind(json(&customer.products))
            .bind(&customer.tier)
            .bind(&customer.owner)
            .bind(json(&customer.extra))
            .bind(&fingerprint)
            .bind(timestamp::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(query_error("writing a customer"))?;
        }
        if dry_run {
            tx.rollback().await.map_err(query_error("rolling back a dry run"))?;
            return Ok(summary);
        }
        let detail = serde_json::json!({
            "origin": origin,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        });
        let event = AuditEvent { at: now, actor, action: "customers.import", subject: origin, detail };
        audit::append(&mut tx, &event).await?;
        tx.commit().await.map_err(query_error("committing a customer import"))?;
        Ok(summary)
    }

    /// All customers, ordered by name.
    pub async fn list_customers(&self) -> Result<Vec<Customer>> {
        let order = self.engine.nocase("name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM customers ORDER BY {order}, crm_ref")))
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("listing customers"))?;
        rows.iter().map(customer_from_row).collect()
    }

    /// A customer by hark id (`c_...`), CRM reference or email address.
    pub async fn customer(&self, key: &str) -> Result<Option<Customer>> {
        let by_email = self.engine.json_array_contains("customers.emails", "lower($1)");
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM customers WHERE id = $1 OR crm_ref = $1 OR {by_email}
             ORDER BY (id = $1) DESC, (crm_ref = $1) DESC LIMIT 1"
        )))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("reading a customer"))?;
        row.as_ref().map(customer_from_row).transpose()
    }

    pub async fn count_customers(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("counting customers"))
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let raw: String = row.get(column);
    serde_json::from_str(&raw)
        .map_err(|err| StoreError::Corrupt { what: "customer", detail: format!("{column}: {err}") })
}

fn customer_from_row(row: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId::from_raw(row.get::<String, _>("id")),
        crm_ref: row.get("crm_ref"),
        name: row.get("name"),
        emails: parse_json(row, "emails")?,
        company: row.get("company"),
        domains: parse_json(row, "domains")?,
        handles: parse_json(row, "handles")?,
        products: parse_json(row, "products")?,
        tier: row.get("tier"),
        owner: row.get("owner"),
        extra: parse_json(row, "extra")?,
        updated_at: timestamp::decode(&row.get::<String, _>("updated_at"))?,
    })
}
