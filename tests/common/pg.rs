//! PostgreSQL for the sink tests: whether the server is there, and queries.

/// Where the tests find PostgreSQL; NEWSFLOW_TEST_PG_HOSTPORT overrides.
pub fn pg_hostport() -> String {
    std::env::var("NEWSFLOW_TEST_PG_HOSTPORT").unwrap_or_else(|_| "127.0.0.1:5432".into())
}

pub fn pg_available() -> bool {
    super::service_available("PostgreSQL", &pg_hostport())
}

pub fn url(hostport: &str) -> String {
    format!("postgres://postgres@{hostport}/test")
}

/// A table name no other test run uses.
pub fn fresh_table(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("nf_{tag}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// Runs `sql` on the test database and returns the rows as text columns.
pub fn query(sql: &str) -> Vec<Vec<Option<String>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url(&pg_hostport()), tokio_postgres::NoTls)
            .await
            .expect("test connection to PostgreSQL");
        tokio::spawn(conn);
        let rows = client.simple_query(sql).await.expect(sql);
        rows.into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    })
}

pub fn count(table: &str, filter: &str) -> i64 {
    query(&format!("SELECT count(*) FROM {table} {filter}"))[0][0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

pub fn drop_table(table: &str) {
    query(&format!(
        "DROP TABLE IF EXISTS {table}; DELETE FROM newsflow_migrations WHERE table_name = '{table}'"
    ));
}
