//! MCP over stdio for one person on their own machine (docs/architecture.md, "Local use over
//! stdio"): the same handler as `/mcp`, its caller the person signed in at start-up. The
//! Norman tokens live in this process's memory only, are zeroed when replaced or dropped, and
//! are renewed at Norman when it refuses them. No listener, no file: stdout is the protocol,
//! logs go to stderr.

use std::sync::{Arc, RwLock};

use rmcp::ServiceExt as _;
use zeroize::Zeroizing;

use crate::mcp::caller::Callers;
use crate::mcp::catalogue::Catalogue;
use crate::mcp::handler::NormanTools;
use crate::mcp::prompts::Prompts;
use crate::norman::{NormanClient, NormanError, NormanToken, NormanTokens};

/// How the person signs in to Norman.
pub enum SignIn {
    Password {
        email: String,
        password: Zeroizing<String>,
    },
    /// Tokens from an earlier sign-in; at least one of the two.
    Tokens {
        access: Option<NormanToken>,
        refresh: Option<NormanToken>,
    },
}

/// Why the session could not start. Never carries a credential.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("Norman refused the email and password")]
    BadPassword,
    #[error("Norman refused the token: it has expired or is not valid; sign in again")]
    BadToken,
    #[error("Norman could not be asked: {0}")]
    Norman(#[source] NormanError),
    #[error("Norman answered the sign-in without a refresh token")]
    NoRefreshToken,
}

/// The Norman access token calls run with, and which renewal it came from.
pub struct Credentials {
    access: NormanToken,
    generation: u64,
}

impl Credentials {
    pub fn access(&self) -> &NormanToken {
        &self.access
    }
}

/// The signed-in person: their company and Norman tokens, in memory only.
pub struct LocalSession {
    norman: NormanClient,
    /// Empty when the login has no company (the founding tools still work).
    company_id: String,
    current: RwLock<Arc<Credentials>>,
    /// Held while a renewal runs, so calls that race share one (Norman spends a refresh token
    /// when it renews: two renewals with one token would end the session).
    refresh: tokio::sync::Mutex<Option<NormanToken>>,
}

impl LocalSession {
    /// Signs in at Norman and picks the company as the HTTP sign-in does: the first of
    /// `GET companies/`.
    pub async fn sign_in(norman: NormanClient, how: SignIn) -> Result<LocalSession, SignInError> {
        let (access, refresh) = match how {
            SignIn::Password { email, password } => {
                let tokens = norman.login(&email, &password).await.map_err(|error| match error {
                    NormanError::Unauthorized => SignInError::BadPassword,
                    other => SignInError::Norman(other),
                })?;
                let refresh = tokens.refresh.ok_or(SignInError::NoRefreshToken)?;
                (Some(tokens.access), Some(refresh))
            }
            SignIn::Tokens { access, refresh } => (access, refresh),
        };
        // The access token as given; when Norman refuses it (or there is none), one renewal.
        let (access, refresh, company) = match access {
            Some(access) => match norman.first_company(&access).await {
                Ok(company) => (access, refresh, company),
                Err(NormanError::Unauthorized) => renew_and_look_up(&norman, refresh).await?,
                Err(other) => return Err(SignInError::Norman(other)),
            },
            None => renew_and_look_up(&norman, refresh).await?,
        };
        if company.is_none() {
            tracing::warn!("this Norman login has no company yet: only the founding tools will work");
        }
        Ok(LocalSession {
            norman,
            company_id: company.unwrap_or_default(),
            current: RwLock::new(Arc::new(Credentials { access, generation: 0 })),
            refresh: tokio::sync::Mutex::new(refresh),
        })
    }

    pub fn company_id(&self) -> &str {
        &self.company_id
    }

    /// The credentials a call starts with.
    pub fn current(&self) -> Arc<Credentials> {
        Arc::clone(&self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Norman refused `seen`: new credentials, or `None` when the session cannot be renewed.
    /// Every call that saw the same credentials shares one renewal. It runs in a task of its
    /// own, so a call cancelled half-way does not drop the tokens Norman just issued.
    pub async fn renew(session: &Arc<LocalSession>, seen: &Credentials) -> Option<Arc<Credentials>> {
        let session = Arc::clone(session);
        let generation = seen.generation;
        tokio::spawn(async move { session.renew_after(generation).await }).await.ok().flatten()
    }

    async fn renew_after(&self, generation: u64) -> Option<Arc<Credentials>> {
        let mut refresh = self.refresh.lock().await;
        let current = self.current();
        if current.generation != generation {
            // Another call renewed while this one waited.
            return Some(current);
        }
        let Some(token) = refresh.as_ref() else {
            tracing::warn!("the Norman access token has expired and there is no refresh token to renew it");
            return None;
        };
        match renew_at(&self.norman, token).await {
            Ok(NormanTokens { access, refresh: next }) => {
                if let Some(next) = next {
                    *refresh = Some(next);
                }
                let renewed = Arc::new(Credentials { access, generation: generation + 1 });
                *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::clone(&renewed);
                tracing::info!("renewed the Norman session");
                Some(renewed)
            }
            Err(SignInError::BadToken) => {
                tracing::warn!("Norman refused the refresh token: restart norman-mcp stdio to sign in again");
                *refresh = None;
                None
            }
            Err(error) => {
                tracing::warn!(%error, "could not renew the Norman session");
                None
            }
        }
    }
}

/// Renews with `refresh` and looks the company up with the new access token.
async fn renew_and_look_up(
    norman: &NormanClient,
    refresh: Option<NormanToken>,
) -> Result<(NormanToken, Option<NormanToken>, Option<String>), SignInError> {
    let spent = refresh.ok_or(SignInError::BadToken)?;
    let NormanTokens { access, refresh: next } = renew_at(norman, &spent).await?;
    let company = norman.first_company(&access).await.map_err(|error| match error {
        NormanError::Unauthorized => SignInError::BadToken,
        other => SignInError::Norman(other),
    })?;
    // Norman may keep the refresh token it was given.
    Ok((access, Some(next.unwrap_or(spent)), company))
}

async fn renew_at(norman: &NormanClient, refresh: &NormanToken) -> Result<NormanTokens, SignInError> {
    norman.refresh(refresh).await.map_err(|error| match error {
        NormanError::Unauthorized => SignInError::BadToken,
        other => SignInError::Norman(other),
    })
}

/// Serves MCP on stdin and stdout as `session` until the client closes stdin.
pub async fn serve(catalogue: Arc<Catalogue>, session: LocalSession) -> std::io::Result<()> {
    let norman = session.norman.clone();
    let prompts = Arc::new(Prompts::serving(catalogue.toolsets()));
    let tools = NormanTools::with_callers(catalogue, prompts, norman, Callers::Local(Arc::new(session)));
    let running = tools.serve(rmcp::transport::io::stdio_pipes()).await.map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}
