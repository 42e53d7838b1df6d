//! `hark customers list|show`: the imported CRM records.

use std::process::ExitCode;

use anyhow::anyhow;
use hark_core::Customer;

use crate::cli::CustomersCommand;
use crate::context::AppContext;
use crate::output::{print_json, print_table};

pub async fn run(context: &AppContext, command: CustomersCommand) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    match command {
        CustomersCommand::List => {
            let customers = store.list_customers().await?;
            if context.global.json {
                print_json(&customers)?;
            } else if customers.is_empty() {
                println!("no customers yet: import a CRM export with `hark import customers FILE.csv`");
            } else {
                let rows: Vec<Vec<String>> = customers
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            c.company.clone().unwrap_or_default(),
                            c.emails.first().cloned().unwrap_or_default(),
                            c.crm_ref.clone(),
                            c.id.to_string(),
                        ]
                    })
                    .collect();
                print_table(&["NAME", "COMPANY", "EMAIL", "CRM ID", "ID"], &rows)?;
            }
        }
        CustomersCommand::Show { id } => {
            let customer = store.customer(&id).await?.ok_or_else(|| {
                anyhow!("no customer with id, CRM id or email {id:?}; `hark customers list` shows them all")
            })?;
            if context.global.json {
                print_json(&customer)?;
            } else {
                show(&customer);
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn show(customer: &Customer) {
    let field = |name: &str, value: String| {
        if !value.is_empty() {
            println!("{name:<10} {value}");
        }
    };
    field("name", customer.name.clone());
    field("id", customer.id.to_string());
    field("crm id", customer.crm_ref.clone());
    field("company", customer.company.clone().unwrap_or_default());
    field("emails", customer.emails.join(", "));
    field("domains", customer.domains.join(", "));
    let handles: Vec<String> = customer.handles.iter().map(|(kind, handle)| format!("{kind}: {handle}")).collect();
    field("handles", handles.join(", "));
    field("products", customer.products.join(", "));
    field("tier", customer.tier.clone().unwrap_or_default());
    field("owner", customer.owner.clone().unwrap_or_default());
    for (name, value) in &customer.extra {
        field(name, value.clone());
    }
    field("updated", customer.updated_at.format("%Y-%m-%d %H:%M UTC").to_string());
}
