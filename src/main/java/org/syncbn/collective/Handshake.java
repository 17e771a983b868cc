package org.syncbn.collective;

import javax.crypto.Mac;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The mutual challenge-response every connection starts with, before either side reads or
 * allocates anything else. Messages (little-endian), all of fixed size:
 * <pre>
 *   client hello  (76 bytes)  magic "SBNC", version 2, purpose (1 mesh, 2 rendezvous), flags (bit 0: encrypt),
 *                             2 zero bytes, context (32: the mesh's id, zeros for the rendezvous), client nonce (32)
 *   server hello  (72 bytes)  magic, version, server nonce (32), server proof (32)
 *   client proof  (32 bytes)
 * </pre>
 * With {@code T} = client hello ‖ server nonce and {@code K} the job secret:
 * server proof = HMAC-SHA256(K, "SBN2 server proof\0" ‖ T), client proof = HMAC-SHA256(K,
 * "SBN2 client proof\0" ‖ T), and the frame keys of the two directions HMAC-SHA256(K,
 * "SBN2 key c2s\0" ‖ T) and HMAC-SHA256(K, "SBN2 key s2c\0" ‖ T). Each side proves the secret over
 * the other's fresh nonce, so a recorded handshake replays to nothing; the labels keep a proof of
 * one role from serving as the other's; purpose, context and flags are in T, so a connection for
 * another mesh, another purpose or another protection setting fails instead of being downgraded.
 * The client checks the server's proof before it sends its own or anything else.
 */
final class Handshake {
    static final int MAGIC = 0x53424E43;   // "SBNC"
    static final int VERSION = 2;
    static final int CLIENT_HELLO_BYTES = 76;
    static final int SERVER_HELLO_BYTES = 72;
    static final int PROOF_BYTES = 32;
    static final int CONTEXT_BYTES = 32;
    /** Magic and version: enough to tell a stranger from a member of another version. */
    static final int PREFIX_BYTES = 8;
    private static final int NONCE_BYTES = 32;

    enum Purpose {
        MESH(1), RENDEZVOUS(2);

        final int code;

        Purpose(int code) {
            this.code = code;
        }
    }

    /** The two directions' frame protection of an authenticated connection. */
    record Session(FrameCipher out, FrameCipher in) {
    }

    /** Why a handshake was refused: a short kind (for counting and rate-limited logs) and the detail. */
    record Refusal(String kind, String detail) {
    }

    private Handshake() {
    }

    /** The client's side: {@link #hello}, then {@link #finish} with the server's hello. */
    static final class Client {
        private final CollectiveSecurity security;
        private final byte[] hello;

        Client(CollectiveSecurity security, Purpose purpose, byte[] context, SecureRandom random) {
            this.security = security;
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            this.hello = ByteBuffer.allocate(CLIENT_HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(MAGIC).putInt(VERSION).put((byte) purpose.code).put((byte) (security.encrypt() ? 1 : 0))
                    .putShort((short) 0).put(requireContext(context)).put(nonce).array();
        }

        byte[] hello() {
            return hello.clone();
        }

        /**
         * Checks the server's hello and proof; returns this side's proof and the session, or a
         * refusal when the server is not one of ours or does not know the secret.
         */
        Result finish(byte[] serverHello) {
            ByteBuffer b = ByteBuffer.wrap(serverHello).order(ByteOrder.LITTLE_ENDIAN);
            int magic = b.getInt();
            int version = b.getInt();
            if (magic != MAGIC) {
                return new Result(null, null, new Refusal("not a collective member",
                        "bad magic 0x" + Integer.toHexString(magic)));
            }
            if (version != VERSION) {
                return new Result(null, null, new Refusal("protocol version",
                        "speaks protocol version " + version + ", this member speaks " + VERSION));
            }
            byte[] serverNonce = Arrays.copyOfRange(serverHello, 8, 8 + NONCE_BYTES);
            byte[] serverProof = Arrays.copyOfRange(serverHello, 8 + NONCE_BYTES, SERVER_HELLO_BYTES);
            Mac mac = security.secret().newMac();
            byte[] t = transcript(hello, serverNonce);
            if (!MessageDigest.isEqual(serverProof, prf(mac, "SBN2 server proof", t))) {
                return new Result(null, null, new Refusal("authentication", "failed to prove the job secret"));
            }
            Session s = new Session(new FrameCipher(prf(mac, "SBN2 key c2s", t), security.encrypt()),
                    new FrameCipher(prf(mac, "SBN2 key s2c", t), security.encrypt()));
            return new Result(prf(mac, "SBN2 client proof", t), s, null);
        }

        record Result(byte[] proof, Session session, Refusal refusal) {
        }
    }

    /** The server's side: {@link #answer} the client's hello, then {@link #verify} its proof. */
    static final class Server {
        private final CollectiveSecurity security;
        private final Purpose purpose;
        private final byte[] context;
        private final SecureRandom random;
        private byte[] transcript;

        Server(CollectiveSecurity security, Purpose purpose, byte[] context, SecureRandom random) {
            this.security = security;
            this.purpose = purpose;
            this.context = requireContext(context);
            this.random = random;
        }

        /**
         * Refuses a connection by its first {@link #PREFIX_BYTES} bytes (magic and version) as soon
         * as they arrive, so garbage is dropped without waiting for a whole hello; null if they fit.
         */
        static Refusal checkPrefix(byte[] start) {
            ByteBuffer b = ByteBuffer.wrap(start, 0, PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int magic = b.getInt();
            if (magic != MAGIC) {
                return new Refusal("not a collective member", "bad magic 0x" + Integer.toHexString(magic));
            }
            int version = b.getInt();
            if (version != VERSION) {
                return new Refusal("protocol version", "speaks protocol version " + version + ", this member speaks " + VERSION);
            }
            return null;
        }

        /** The server hello for a well-formed client hello of this purpose, context and setting; else the refusal. */
        Answer answer(byte[] clientHello) {
            Refusal early = checkPrefix(clientHello);
            if (early != null) {
                return new Answer(null, early);
            }
            ByteBuffer b = ByteBuffer.wrap(clientHello).order(ByteOrder.LITTLE_ENDIAN);
            b.position(PREFIX_BYTES);
            int p = b.get();
            int flags = b.get();
            int reserved = b.getShort();
            if (p != purpose.code || reserved != 0) {
                return Answer.refused("purpose", "asked for purpose " + p + ", this listener serves " + purpose.code);
            }
            byte[] theirContext = new byte[CONTEXT_BYTES];
            b.get(theirContext);
            if (!MessageDigest.isEqual(theirContext, context)) {
                return Answer.refused("another mesh", "belongs to another collective (different member addresses)");
            }
            if (flags != (security.encrypt() ? 1 : 0)) {
                return Answer.refused("protection setting", "asks for encrypt=" + (flags == 1) + ", this member uses encrypt="
                        + security.encrypt());
            }
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            transcript = transcript(clientHello, nonce);
            byte[] proof = prf(security.secret().newMac(), "SBN2 server proof", transcript);
            return new Answer(ByteBuffer.allocate(SERVER_HELLO_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(MAGIC).putInt(VERSION).put(nonce).put(proof).array(), null);
        }

        /** The server hello to send, or why the client hello was refused. */
        record Answer(byte[] hello, Refusal refusal) {
            static Answer refused(String kind, String detail) {
                return new Answer(null, new Refusal(kind, detail));
            }
        }

        /** The session if the client proved the secret over this server's nonce, else null. */
        Session verify(byte[] clientProof) {
            if (transcript == null) {
                throw new IllegalStateException("verify before answer");
            }
            Mac mac = security.secret().newMac();
            if (!MessageDigest.isEqual(clientProof, prf(mac, "SBN2 client proof", transcript))) {
                return null;
            }
            return new Session(new FrameCipher(prf(mac, "SBN2 key s2c", transcript), security.encrypt()),
                    new FrameCipher(prf(mac, "SBN2 key c2s", transcript), security.encrypt()));
        }
    }

    /** SHA-256 of the members' addresses in rank order: the context that ties a connection to one mesh. */
    static byte[] meshContext(java.util.List<java.net.InetSocketAddress> addresses) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (java.net.InetSocketAddress a : addresses) {
                d.update((a.getHostString() + ":" + a.getPort() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static byte[] noContext() {
        return new byte[CONTEXT_BYTES];
    }

    private static byte[] transcript(byte[] clientHello, byte[] serverNonce) {
        byte[] t = Arrays.copyOf(clientHello, CLIENT_HELLO_BYTES + NONCE_BYTES);
        System.arraycopy(serverNonce, 0, t, CLIENT_HELLO_BYTES, NONCE_BYTES);
        return t;
    }

    private static byte[] prf(Mac mac, String label, byte[] transcript) {
        mac.update(label.getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) 0);
        return mac.doFinal(transcript);
    }

    private static byte[] requireContext(byte[] context) {
        if (context.length != CONTEXT_BYTES) {
            throw new IllegalArgumentException("a handshake context has " + CONTEXT_BYTES + " bytes");
        }
        return context.clone();
    }
}
