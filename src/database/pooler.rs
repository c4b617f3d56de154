//! Running a call's queries through a transaction-mode pooler (PgBouncer
//! `pool_mode = transaction`), which hands the server session to another client between
//! transactions.

use futures_util::future::BoxFuture;
use sqlx::PgConnection;

/// Runs `query` in a transaction and drops the statements it prepared before the
/// transaction ends. A transaction-mode pooler hands the session to another client when a
/// transaction ends, and sqlx prepares a statement, then binds it, in two exchanges: in
/// one transaction both reach the same server session, and nothing prepared is left for
/// the session's next client.
pub(super) async fn in_transaction<T, Q>(
    connection: &mut PgConnection,
    query: Q,
) -> Result<T, sqlx::Error>
where
    Q: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>,
{
    simple_query(connection, "BEGIN").await?;
    let outcome = query(&mut *connection).await;
    // One message each, so the pooler sees the end of the transaction only after the
    // deallocation.
    let end = match outcome {
        Ok(_) => "DEALLOCATE ALL; COMMIT",
        Err(_) => "ROLLBACK; DEALLOCATE ALL",
    };
    simple_query(connection, end).await?;
    outcome
}

/// Boxed, so the futures that embed it stay `Send` for every connection lifetime.
fn simple_query<'c>(
    connection: &'c mut PgConnection,
    sql: &'static str,
) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move {
        // A `&str` with no arguments goes as one simple Query message.
        sqlx::Executor::execute(connection, sql).await?;
        Ok(())
    })
}
