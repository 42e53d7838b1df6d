//! `hark user add|list|disable|enable|token`: who may use the API and the web app.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use hark_app::users::{self, NewUser};
use hark_app::{App, Caller, Role};

use crate::cli::UserCommand;
use crate::output::{print_json, print_table};

pub async fn run(app: &App, json: bool, command: UserCommand) -> anyhow::Result<ExitCode> {
    let caller = Caller::local();
    match command {
        UserCommand::Add { name, role, password_stdin } => {
            let role = Role::parse(&role)?;
            let password = if password_stdin { Some(read_password()?) } else { None };
            let user = users::add_user(app, &caller, &name, role, password.as_deref()).await?;
            print_new_user(json, &user)?;
        }
        UserCommand::List => {
            let list = users::list_users(app, &caller).await?;
            if json {
                print_json(&list)?;
            } else if list.is_empty() {
                println!("no users yet: `hark user add NAME --role admin|community|sales|service`");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|user| {
                        vec![
                            user.name.clone(),
                            user.role.to_string(),
                            if user.disabled { "disabled" } else { "active" }.to_owned(),
                            user.created_at.format("%Y-%m-%d").to_string(),
                        ]
                    })
                    .collect();
                print_table(&["NAME", "ROLE", "STATE", "ADDED"], &rows)?;
            }
        }
        UserCommand::Disable { name } => print_state(json, &users::set_disabled(app, &caller, &name, true).await?)?,
        UserCommand::Enable { name } => print_state(json, &users::set_disabled(app, &caller, &name, false).await?)?,
        UserCommand::Token { name, revoke_others } => {
            let token = users::new_token(app, &caller, &name, revoke_others).await?;
            if json {
                print_json(&token)?;
            } else {
                println!("API token for {} (shown once; send it as `Authorization: Bearer TOKEN`):", token.name);
                println!("{}", token.token);
                if revoke_others {
                    println!("their older tokens no longer work");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line from standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().take(4096).read_to_string(&mut text).context("reading the password from standard input")?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(!password.is_empty(), "--password-stdin: standard input held no password");
    Ok(password)
}

fn print_new_user(json: bool, user: &NewUser) -> anyhow::Result<()> {
    if json {
        return print_json(user);
    }
    println!("added {} ({})", user.name, user.role);
    if let Some(password) = &user.password {
        println!("one-time password  {password}");
    }
    println!("API token          {}", user.token);
    println!("both are shown only now: hark keeps only their hashes");
    Ok(())
}

fn print_state(json: bool, user: &users::UserView) -> anyhow::Result<()> {
    if json {
        return print_json(user);
    }
    println!("{} ({}) is {}", user.name, user.role, if user.disabled { "disabled" } else { "active" });
    Ok(())
}
