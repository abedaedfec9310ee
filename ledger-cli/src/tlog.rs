//! The published log: `publish` (the log as static files, C2SP tlog-tiles).

use std::io::Write;
use std::path::Path;

use ledger_core::Ledger;
use ledger_core::ops::publish::{self, PublishOutput};
use ledger_core::publish::PublishError;
use ledger_core::view::View;

use crate::cli::Format;
use crate::{Failure, exit, progress};

impl From<PublishError> for Failure {
    fn from(e: PublishError) -> Self {
        let code = match &e {
            PublishError::Ledger(_) => exit::INTERNAL,
            PublishError::Io { .. } => exit::IO,
            PublishError::Busy { .. } => exit::LOCKED,
            PublishError::NotThisLog { .. } => exit::FAILED,
            PublishError::CosignerKey { .. } | PublishError::EntryTooLong { .. } => exit::DATA,
        };
        match e {
            PublishError::Ledger(e) => Failure::from(e),
            e @ PublishError::NotThisLog { .. } => Failure::new(code, format!("refused: {e}\n  nothing was written")),
            e => Failure::new(code, e.to_string()),
        }
    }
}

/// `ledger publish DIR --sign KEYFILE`.
pub fn publish(ledger: &Ledger, out: &mut impl Write, format: Format, dir: &Path, sign: &Path) -> Result<u8, Failure> {
    let key = crate::audit::signer(sign)?;
    let view = View::now(ledger)?;
    let bar = progress::Bar::new();
    let published = publish::publish(&view, dir, &key, &bar)?;
    bar.done();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &published).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        _ => print(out, &published)?,
    }
    Ok(exit::OK)
}

fn print(out: &mut impl Write, p: &PublishOutput) -> Result<(), Failure> {
    if p.files_written == 0 {
        writeln!(out, "{} already publishes the {} events of `{}` (root {})", p.dir, p.size, p.origin, p.root)?;
        return Ok(());
    }
    let since = p.previous_size.map(|n| format!(", after {n}")).unwrap_or_default();
    writeln!(
        out,
        "published {} events of `{}` to {}{since}: {} files, {} bytes; root {}",
        p.size, p.origin, p.dir, p.files_written, p.bytes_written, p.root
    )?;
    Ok(())
}
