//! `hark customers list|show`: the imported CRM records.

use std::process::ExitCode;

use hark_app::Caller;
use hark_app::customers::{self, CustomerDetail};

use crate::cli::CustomersCommand;
use crate::context::Context;
use crate::output::{print_json, print_table};

pub async fn run(context: &Context, command: CustomersCommand) -> anyhow::Result<ExitCode> {
    let caller = Caller::local();
    match command {
        CustomersCommand::List => {
            let customers = customers::list(&context.app, &caller).await?;
            if context.json() {
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
                            c.id.clone(),
                        ]
                    })
                    .collect();
                print_table(&["NAME", "COMPANY", "EMAIL", "CRM ID", "ID"], &rows)?;
            }
        }
        CustomersCommand::Show { id } => {
            let detail = customers::show(&context.app, &caller, &id).await?;
            if context.json() {
                print_json(&detail)?;
            } else {
                show(&detail)?;
            }
        }
    }
    context.app.close().await;
    Ok(ExitCode::SUCCESS)
}

fn show(detail: &CustomerDetail) -> anyhow::Result<()> {
    let customer = &detail.customer;
    let field = |name: &str, value: String| {
        if !value.is_empty() {
            println!("{name:<10} {value}");
        }
    };
    field("name", customer.name.clone());
    field("id", customer.id.clone());
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
    if !detail.mentions.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = detail
            .mentions
            .iter()
            .map(|mention| {
                let link = mention.customer.as_ref().map_or_else(|| "-".to_owned(), |link| link.state.clone());
                vec![
                    mention.published_at.map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d").to_string()),
                    mention.source.clone(),
                    link,
                    super::snippet(&mention.text, 70),
                ]
            })
            .collect();
        print_table(&["PUBLISHED", "SOURCE", "MATCH", "TEXT"], &rows)?;
    }
    Ok(())
}
