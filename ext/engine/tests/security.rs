//! zmq-rs to zmq-rs security over tcp and ipc: CURVE and PLAIN with the built-in
//! Authenticator, refusals that leave the socket serving its good peers, and ZAP for
//! NULL sockets with a domain.

mod common;

use common::*;
use zmq_engine::security::{curve_keypair, Authenticator};
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

fn curve_client(ctx: &Context, kind: SocketType, server_z85: &str) -> Socket {
    let s = sock(ctx, kind);
    let kp = curve_keypair();
    s.set_option(SocketOption::CurveServerkey, server_z85)
        .unwrap();
    s.set_option(SocketOption::CurvePublickey, &kp.public.as_bytes()[..])
        .unwrap();
    s.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
        .unwrap();
    s
}

fn recv_text(s: &Socket) -> Option<String> {
    s.recv(false)
        .ok()
        .map(|m| String::from_utf8_lossy(m.first()).into_owned())
}

#[test]
fn curve_and_plain_between_our_sockets() {
    bounded(30, || {
        for t in NETWORK {
            let ctx = Context::new();
            let auth = Authenticator::new(&ctx).unwrap();
            auth.configure_curve_any("*");
            auth.configure_plain("*", [("u", "p")]);

            let kp = curve_keypair();
            let rep = sock(&ctx, SocketType::Rep);
            rep.set_option(SocketOption::CurveServer, true).unwrap();
            rep.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
                .unwrap();
            let ep = rep.bind(&bind_ep(t)).unwrap();
            let req = curve_client(&ctx, SocketType::Req, &kp.public.to_z85());
            req.connect(&ep).unwrap();
            for i in 0..50 {
                req.send(
                    Msg::from_parts([format!("q{i}"), "x".repeat(i * 500)]),
                    false,
                )
                .unwrap();
                let m = rep.recv(false).unwrap();
                assert_eq!(m.first(), format!("q{i}").as_bytes());
                rep.send(m, false).unwrap();
                assert_eq!(req.recv(false).unwrap().len(), 2);
            }

            let pull = sock(&ctx, SocketType::Pull);
            pull.set_option(SocketOption::PlainServer, true).unwrap();
            let ep = pull.bind(&bind_ep(t)).unwrap();
            let bad = sock(&ctx, SocketType::Push);
            bad.set_option(SocketOption::PlainUsername, "u").unwrap();
            bad.set_option(SocketOption::PlainPassword, "wrong")
                .unwrap();
            bad.connect(&ep).unwrap();
            bad.send(Msg::new("bad"), true).unwrap();
            let good = sock(&ctx, SocketType::Push);
            good.set_option(SocketOption::PlainUsername, "u").unwrap();
            good.set_option(SocketOption::PlainPassword, "p").unwrap();
            good.connect(&ep).unwrap();
            good.send(Msg::new("good"), false).unwrap();
            assert_eq!(recv_text(&pull).as_deref(), Some("good"));
            pull.set_option(SocketOption::RcvTimeo, 200i64).unwrap();
            assert_eq!(recv_text(&pull), None, "wrong password delivered");
            drop(auth);
            ctx.terminate();
        }
    });
}

#[test]
fn null_with_zap_domain_and_address_rules() {
    bounded(30, || {
        let ctx = Context::new();
        let auth = Authenticator::new(&ctx).unwrap();
        // A second handler cannot bind.
        assert_eq!(
            Authenticator::new(&ctx).unwrap_err().errno(),
            libc::EADDRINUSE
        );
        auth.deny("127.0.0.1");
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::ZapDomain, "global").unwrap();
        let ep = pull.bind(&bind_ep(Tcp)).unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.connect(&ep).unwrap();
        push.send(Msg::new("denied"), true).unwrap();
        pull.set_option(SocketOption::RcvTimeo, 300i64).unwrap();
        assert_eq!(recv_text(&pull), None);

        // Without a domain, NULL never asks ZAP.
        let open = sock(&ctx, SocketType::Pull);
        let ep = open.bind(&bind_ep(Tcp)).unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.connect(&ep).unwrap();
        push.send(Msg::new("open"), false).unwrap();
        assert_eq!(recv_text(&open).as_deref(), Some("open"));
        drop(auth);
        ctx.terminate();
    });
}
