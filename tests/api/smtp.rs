//! A real SMTP server on loopback for the tests: it speaks enough SMTP for lettre, keeps
//! every message it accepts, can be stopped and started again on the same port, and refuses
//! recipients that contain "reject".

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: Option<JoinHandle<()>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let task = Some(tokio::spawn(serve(listener, received.clone())));
        SmtpSink {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The server goes away: connections are refused.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// The server is back on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("rebind SMTP sink: {e}"),
            }
        };
        self.task = Some(tokio::spawn(serve(listener, self.received.clone())));
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(listener: TcpListener, received: Arc<Mutex<Vec<Received>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let _ = write.write_all(b"220 sink ESMTP\r\n").await;
            let mut recipients = Vec::new();
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") {
                    b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                    b"250 ok\r\n"
                } else if upper.starts_with("MAIL FROM") || upper.starts_with("RSET") {
                    recipients.clear();
                    b"250 ok\r\n"
                } else if upper.starts_with("RCPT TO") {
                    if line.contains("reject") {
                        b"550 5.1.1 no such user\r\n"
                    } else {
                        recipients.push(line[8..].trim().trim_matches(['<', '>', ':']).to_string());
                        b"250 ok\r\n"
                    }
                } else if upper.starts_with("DATA") {
                    let _ = write.write_all(b"354 go ahead\r\n").await;
                    let mut data = Vec::new();
                    loop {
                        let mut chunk = Vec::new();
                        if reader.read_until(b'\n', &mut chunk).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if chunk == b".\r\n" {
                            break;
                        }
                        // Undo dot-stuffing.
                        if chunk.starts_with(b"..") {
                            chunk.remove(0);
                        }
                        data.extend_from_slice(&chunk);
                    }
                    received.lock().expect("lock").push(Received {
                        recipients: std::mem::take(&mut recipients),
                        data,
                    });
                    b"250 queued\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    b"502 not implemented\r\n"
                };
                if write.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
    }
}
