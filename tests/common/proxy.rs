//! A switchable TCP forwarder for tests where a server goes away.

/// A forwarder to a server (PostgreSQL, NATS) that the test switches on and off:
/// while off, its port refuses nothing but closes every connection at once and
/// cuts the open ones, as a server going away does.
pub struct Proxy {
    up: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    pub fn start(listen: u16, target: String, up: bool) -> Proxy {
        let (tx, rx) = tokio::sync::watch::channel(up);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind(("127.0.0.1", listen))
                    .await
                    .unwrap();
                loop {
                    let (mut inbound, _) = l.accept().await.unwrap();
                    if !*rx.borrow() {
                        continue; // dropped: the client sees the connection close
                    }
                    let mut rx = rx.clone();
                    let target = target.clone();
                    tokio::spawn(async move {
                        let Ok(mut out) = tokio::net::TcpStream::connect(&target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                            _ = rx.wait_for(|up| !*up) => {}
                        }
                    });
                }
            });
        });
        Proxy { up: tx }
    }

    pub fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}
