package org.syncbn.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The handshake and the frame protection, without sockets: what each side accepts and refuses. */
class HandshakeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] MESH = new byte[Handshake.CONTEXT_BYTES];

    static {
        MESH[0] = 42;
    }

    private record Pair(Handshake.Session client, Handshake.Session server) {
    }

    private static Pair handshake(CollectiveSecurity clientSide, CollectiveSecurity serverSide) {
        Handshake.Client c = new Handshake.Client(clientSide, Handshake.Purpose.MESH, MESH, RANDOM);
        Handshake.Server s = new Handshake.Server(serverSide, Handshake.Purpose.MESH, MESH, RANDOM);
        Handshake.Server.Answer a = s.answer(c.hello());
        assertNull(a.refusal());
        Handshake.Client.Result r = c.finish(a.hello());
        if (r.refusal() != null) {
            return new Pair(null, null);
        }
        return new Pair(r.session(), s.verify(r.proof()));
    }

    private static byte[] frame(String body) {
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] buf = new byte[Frames.HEADER_BYTES + b.length + Frames.TAG_BYTES];
        Frames.Header.control(Frames.HELLO, b.length).write(buf);
        System.arraycopy(b, 0, buf, Frames.HEADER_BYTES, b.length);
        return buf;
    }

    @ParameterizedTest(name = "encrypt={0}")
    @ValueSource(booleans = {false, true})
    void bothSidesWithTheSecretAgreeOnKeysForBothDirections(boolean encrypt) throws IOException {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), encrypt);
        Pair p = handshake(sec, sec);
        assertNotNull(p.server());
        for (int i = 0; i < 3; i++) {
            byte[] f = frame("hello " + i);
            byte[] plain = f.clone();
            int len = p.client().out().seal(f, 7);
            assertEquals(plain.length, len);
            assertEquals(encrypt, !Arrays.equals(Arrays.copyOfRange(plain, 32, 39), Arrays.copyOfRange(f, 32, 39)),
                    "the body is encrypted exactly when asked");
            p.server().in().open(f, 7);
            assertArrayEquals(Arrays.copyOfRange(plain, 0, 39), Arrays.copyOfRange(f, 0, 39));
            byte[] back = frame("reply " + i);
            p.server().out().seal(back, 7);
            p.client().in().open(back, 7);
        }
    }

    @Test
    void aClientWithAnotherSecretIsRefusedAndAServerWithAnotherSecretIsNotBelieved() {
        CollectiveSecurity ours = new CollectiveSecurity(JobSecret.random(), false);
        CollectiveSecurity theirs = new CollectiveSecurity(JobSecret.random(), false);
        // a stranger's server: the client notices before it proves anything
        assertNull(handshake(ours, theirs).client());
        // a stranger as client: it cannot make a proof the server takes
        Handshake.Client c = new Handshake.Client(theirs, Handshake.Purpose.MESH, MESH, RANDOM);
        Handshake.Server s = new Handshake.Server(ours, Handshake.Purpose.MESH, MESH, RANDOM);
        byte[] serverHello = s.answer(c.hello()).hello();
        assertNotNull(c.finish(serverHello).refusal(), "the stranger sees the server proof fail under its key");
        byte[] forged = new byte[Handshake.PROOF_BYTES];
        RANDOM.nextBytes(forged);
        assertNull(s.verify(forged));
    }

    @Test
    void aRecordedHandshakeReplayedToAFreshServerNonceIsRefused() {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), false);
        Handshake.Client c = new Handshake.Client(sec, Handshake.Purpose.MESH, MESH, RANDOM);
        byte[] hello = c.hello();
        Handshake.Server first = new Handshake.Server(sec, Handshake.Purpose.MESH, MESH, RANDOM);
        byte[] proof = c.finish(first.answer(hello).hello()).proof();
        assertNotNull(first.verify(proof), "the real exchange succeeds");
        Handshake.Server replayedTo = new Handshake.Server(sec, Handshake.Purpose.MESH, MESH, RANDOM);
        assertNull(replayedTo.answer(hello).refusal(), "the hello itself is well formed");
        assertNull(replayedTo.verify(proof), "but the old proof is over another server nonce");
    }

    @Test
    void anotherMeshPurposeOrProtectionSettingIsRefusedBeforeAnyProof() {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), false);
        byte[] otherMesh = MESH.clone();
        otherMesh[1] = 1;
        Handshake.Server s = new Handshake.Server(sec, Handshake.Purpose.MESH, MESH, RANDOM);
        assertEquals("another mesh", s.answer(new Handshake.Client(sec, Handshake.Purpose.MESH, otherMesh, RANDOM).hello())
                .refusal().kind());
        assertEquals("purpose", s.answer(new Handshake.Client(sec, Handshake.Purpose.RENDEZVOUS, MESH, RANDOM).hello())
                .refusal().kind());
        assertEquals("protection setting", s.answer(new Handshake.Client(new CollectiveSecurity(sec.secret(), true),
                Handshake.Purpose.MESH, MESH, RANDOM).hello()).refusal().kind());
        byte[] garbage = new byte[Handshake.CLIENT_HELLO_BYTES];
        assertEquals("not a collective member", s.answer(garbage).refusal().kind());
    }

    @ParameterizedTest(name = "encrypt={0}")
    @ValueSource(booleans = {false, true})
    void anAlteredReplayedReorderedOrReflectedFrameFailsItsTag(boolean encrypt) throws IOException {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), encrypt);
        // altered: one bit of the header, of the body, of the tag
        for (int bit : new int[] {3 * 8, (Frames.HEADER_BYTES + 2) * 8 + 1, (Frames.HEADER_BYTES + 7 + 5) * 8}) {
            Pair p = handshake(sec, sec);
            byte[] f = frame("payload");
            p.client().out().seal(f, 7);
            f[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThrows(FrameCipher.FrameAuthenticationException.class, () -> p.server().in().open(f, 7), "bit " + bit);
        }
        // replayed: the receiver expects frame 1 and gets frame 0 again
        Pair p = handshake(sec, sec);
        byte[] f0 = frame("zero");
        p.client().out().seal(f0, 4);
        byte[] copy = f0.clone();
        p.server().in().open(f0, 4);
        assertThrows(FrameCipher.FrameAuthenticationException.class, () -> p.server().in().open(copy, 4));
        // reordered: frame 1 arrives where frame 0 is due
        Pair q = handshake(sec, sec);
        byte[] a = frame("aaaa");
        byte[] b = frame("bbbb");
        q.client().out().seal(a, 4);
        q.client().out().seal(b, 4);
        assertThrows(FrameCipher.FrameAuthenticationException.class, () -> q.server().in().open(b, 4));
        // reflected: a frame the server sealed, fed back to the server as if the client had sent it
        Pair r = handshake(sec, sec);
        byte[] fromServer = frame("echo");
        r.server().out().seal(fromServer, 4);
        assertThrows(FrameCipher.FrameAuthenticationException.class, () -> r.server().in().open(fromServer, 4));
    }

    @Test
    void framesOfOneConnectionDoNotOpenOnAnother() throws IOException {
        CollectiveSecurity sec = new CollectiveSecurity(JobSecret.random(), false);
        Pair one = handshake(sec, sec);
        Pair two = handshake(sec, sec);
        byte[] f = frame("mine");
        one.client().out().seal(f, 4);
        assertThrows(FrameCipher.FrameAuthenticationException.class, () -> two.server().in().open(f, 4));
        assertFalse(Arrays.equals(new byte[0], f));
    }

    @Test
    void headerLimitsAreCheckedWithoutOverflowBeforeAnyAllocation() {
        byte[] buf = new byte[Frames.HEADER_BYTES];
        int max = Limits.MAX_FRAME_BODY;
        // a count near 2^28 doubles: 8 × count overflows int; the check is in long
        new Frames.Header(Op.ALL_GATHER.code, 0, 1, Limits.MAX_ELEMENTS, 0, (1 << 28) - 1, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max));
        new Frames.Header(Op.ALL_GATHER.code, 0, 1, Integer.MAX_VALUE, 0, 1, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max), "total beyond MAX_ELEMENTS");
        new Frames.Header(Op.ALL_GATHER.code, 0, 1, 100, Integer.MAX_VALUE, 10, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max), "offset + count overflows");
        new Frames.Header(Op.ALL_GATHER.code, 0, 1, 100, 0, -1, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max), "negative count");
        new Frames.Header(77, 0, 1, 1, 0, 1, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max), "unknown op");
        new Frames.Header(Op.ALL_GATHER.code, 0, 1, 100, 0, 10, 8).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max), "unknown flag");
        new Frames.Header(Op.ALL_GATHER_F32.code, 0, 1, Limits.MAX_ELEMENTS, 0, max / 4, Frames.LAST).write(buf);
        assertThrows(java.net.ProtocolException.class, () -> Frames.read(buf, max - 1), "over the caller's body limit");
    }
}
