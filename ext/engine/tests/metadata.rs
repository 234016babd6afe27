//! Connection metadata on received messages (libzmq's `zmq_msg_gets`): what a ZAP
//! handler said about the peer (`User-Id` and its own properties), the peer's handshake
//! properties (`Socket-Type`, `Identity`) and `Peer-Address`. Messages over a plain NULL
//! connection carry none.

mod common;

use common::*;
use std::thread;
use zmq_engine::msg::Metadata;
use zmq_engine::security::{curve_keypair, Authenticator};
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

fn property(meta: &Metadata, name: &str) -> Option<String> {
    meta.get(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Receives one multipart message part by part; every part must carry the same
/// metadata, which is returned.
fn recv_parts_with_metadata(s: &Socket) -> (Vec<Vec<u8>>, Option<std::sync::Arc<Metadata>>) {
    let mut parts = Vec::new();
    let mut seen = None;
    loop {
        let (part, more, meta) = s.recv_part_with_metadata(false).unwrap();
        parts.push(part.to_vec());
        if let Some(prev) = &seen {
            assert_eq!(prev, &meta, "parts of one message disagree on metadata");
        }
        seen = Some(meta);
        if !more {
            return (parts, seen.unwrap());
        }
    }
}

/// An authenticator that knows admin/secret, a PLAIN server of type `server` bound on
/// tcp, and a client of type `client` logged in to it as admin.
fn plain_pair(
    ctx: &Context,
    server: SocketType,
    client: SocketType,
) -> (Authenticator, Socket, Socket) {
    let auth = Authenticator::new(ctx).unwrap();
    auth.configure_plain("*", [("admin", "secret")]);
    let s = sock(ctx, server);
    s.set_option(SocketOption::PlainServer, true).unwrap();
    let ep = s.bind("tcp://127.0.0.1:*").unwrap();
    let c = sock(ctx, client);
    c.set_option(SocketOption::PlainUsername, "admin").unwrap();
    c.set_option(SocketOption::PlainPassword, "secret").unwrap();
    c.connect(&ep).unwrap();
    (auth, s, c)
}

#[test]
fn plain_peer_gets_user_id_socket_type_and_peer_address() {
    bounded(30, || {
        let ctx = Context::new();
        let (auth, pull, push) = plain_pair(&ctx, SocketType::Pull, SocketType::Push);
        push.send(Msg::from_parts(["head", "tail"]), false).unwrap();

        let (parts, meta) = recv_parts_with_metadata(&pull);
        assert_eq!(parts, [b"head".to_vec(), b"tail".to_vec()]);
        let meta = meta.expect("a PLAIN connection's messages carry metadata");
        assert_eq!(property(&meta, "User-Id").as_deref(), Some("admin"));
        assert_eq!(property(&meta, "socket-type").as_deref(), Some("PUSH"));
        assert_eq!(
            property(&meta, "Peer-Address").as_deref(),
            Some("127.0.0.1")
        );

        // Whole-message receive carries it too.
        push.send(Msg::new("again"), false).unwrap();
        let m = pull.recv(false).unwrap();
        assert_eq!(
            property(m.metadata().unwrap(), "User-Id").as_deref(),
            Some("admin")
        );
        drop(auth);
        ctx.terminate();
    });
}

/// REP takes the envelope off a request; the body keeps the connection's metadata, and
/// REQ's reply keeps it too.
#[test]
fn rep_requests_and_req_replies_keep_metadata() {
    bounded(30, || {
        let ctx = Context::new();
        let (auth, rep, req) = plain_pair(&ctx, SocketType::Rep, SocketType::Req);
        req.send(Msg::new("question"), false).unwrap();

        let (parts, meta) = recv_parts_with_metadata(&rep);
        assert_eq!(parts, [b"question".to_vec()]);
        let meta = meta.expect("a PLAIN request carries metadata on REP");
        assert_eq!(property(&meta, "User-Id").as_deref(), Some("admin"));
        assert_eq!(property(&meta, "Socket-Type").as_deref(), Some("REQ"));

        rep.send(Msg::new("answer"), false).unwrap();
        let (parts, meta) = recv_parts_with_metadata(&req);
        assert_eq!(parts, [b"answer".to_vec()]);
        let meta = meta.expect("the reply carries the server's properties");
        assert_eq!(property(&meta, "Socket-Type").as_deref(), Some("REP"));
        drop(auth);
        ctx.terminate();
    });
}

#[test]
fn curve_peer_user_id_is_its_public_key_and_router_keeps_metadata() {
    bounded(30, || {
        let ctx = Context::new();
        let auth = Authenticator::new(&ctx).unwrap();
        auth.configure_curve_any("*");
        let server = curve_keypair();
        let router = sock(&ctx, SocketType::Router);
        router.set_option(SocketOption::CurveServer, true).unwrap();
        router
            .set_option(
                SocketOption::CurveSecretkey,
                &server.secret.expose_z85()[..],
            )
            .unwrap();
        let ep = router.bind("tcp://127.0.0.1:*").unwrap();

        let client = curve_keypair();
        let dealer = sock(&ctx, SocketType::Dealer);
        dealer.set_option(SocketOption::Identity, "d1").unwrap();
        dealer
            .set_option(SocketOption::CurveServerkey, &server.public.to_z85()[..])
            .unwrap();
        dealer
            .set_option(SocketOption::CurvePublickey, &client.public.to_z85()[..])
            .unwrap();
        dealer
            .set_option(
                SocketOption::CurveSecretkey,
                &client.secret.expose_z85()[..],
            )
            .unwrap();
        dealer.connect(&ep).unwrap();
        dealer.send(Msg::new("hello"), false).unwrap();

        let m = router.recv(false).unwrap();
        assert_eq!(parts(&m), [b"d1".to_vec(), b"hello".to_vec()]);
        let meta = m.metadata().expect("CURVE messages carry metadata");
        assert_eq!(property(meta, "User-Id"), Some(client.public.to_z85()));
        assert_eq!(property(meta, "Identity").as_deref(), Some("d1"));
        assert_eq!(property(meta, "Socket-Type").as_deref(), Some("DEALER"));
        drop(auth);
        ctx.terminate();
    });
}

#[test]
fn a_zap_handlers_own_metadata_reaches_the_messages() {
    bounded(30, || {
        let ctx = Context::new();
        // A hand-written ZAP handler: lets everyone in as "alice" of tenant "acme".
        let zap = sock(&ctx, SocketType::Rep);
        zap.bind("inproc://zeromq.zap.01").unwrap();
        let handler = thread::spawn(move || {
            let req = zap.recv(false).unwrap();
            // version, request id, domain, address, routing id, mechanism.
            assert_eq!(req.get(2).unwrap(), "tenants");
            assert_eq!(req.get(5).unwrap(), "NULL");
            let mut metadata = vec![8u8];
            metadata.extend_from_slice(b"X-Tenant");
            metadata.extend_from_slice(&4u32.to_be_bytes());
            metadata.extend_from_slice(b"acme");
            let reply = Msg::from_parts([
                b"1.0".to_vec(),
                req.get(1).unwrap().to_vec(),
                b"200".to_vec(),
                b"OK".to_vec(),
                b"alice".to_vec(),
                metadata,
            ]);
            zap.send(reply, false).unwrap();
            zap
        });

        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::ZapDomain, "tenants").unwrap();
        let ep = pull.bind("tcp://127.0.0.1:*").unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.connect(&ep).unwrap();
        push.send(Msg::new("order"), false).unwrap();

        let m = pull.recv(false).unwrap();
        assert_eq!(text(&m), "order");
        let meta = m.metadata().expect("NULL with ZAP carries metadata");
        assert_eq!(property(meta, "User-Id").as_deref(), Some("alice"));
        assert_eq!(property(meta, "x-tenant").as_deref(), Some("acme"));
        assert_eq!(property(meta, "Socket-Type").as_deref(), Some("PUSH"));
        drop(handler.join().unwrap());
        ctx.terminate();
    });
}

#[test]
fn plain_null_connections_carry_no_metadata() {
    bounded(30, || {
        let ctx = Context::new();
        for t in ALL {
            let pull = sock(&ctx, SocketType::Pull);
            let ep = pull.bind(&bind_ep(t)).unwrap();
            let push = sock(&ctx, SocketType::Push);
            push.connect(&ep).unwrap();
            push.send(Msg::from_parts(["a", "b"]), false).unwrap();
            let (parts, meta) = recv_parts_with_metadata(&pull);
            assert_eq!(parts.len(), 2);
            assert!(meta.is_none(), "{t:?}: unexpected metadata");
        }
        ctx.terminate();
    });
}

#[test]
fn libzmq_plain_client_is_seen_with_its_user_id() {
    bounded(30, || {
        let ctx = Context::new();
        let auth = Authenticator::new(&ctx).unwrap();
        auth.configure_plain("*", [("bob", "pw")]);
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::PlainServer, true).unwrap();
        let ep = pull.bind("tcp://127.0.0.1:*").unwrap();

        let theirs = zmq::Context::new();
        let push = theirs.socket(zmq::PUSH).unwrap();
        push.set_linger(0).unwrap();
        push.set_plain_username(Some("bob")).unwrap();
        push.set_plain_password(Some("pw")).unwrap();
        push.connect(&ep).unwrap();
        push.send("from libzmq", 0).unwrap();

        let m = pull.recv(false).unwrap();
        assert_eq!(text(&m), "from libzmq");
        let meta = m.metadata().unwrap();
        assert_eq!(property(meta, "User-Id").as_deref(), Some("bob"));
        assert_eq!(property(meta, "Socket-Type").as_deref(), Some("PUSH"));
        drop(push);
        drop(auth);
        ctx.terminate();
    });
}
