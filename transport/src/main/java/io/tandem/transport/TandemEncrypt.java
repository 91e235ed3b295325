package io.tandem.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.EncryptHeader;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.util.MessageBatch;

/**
 * JGroups' SYM_ENCRYPT with a key given in code (derived from {@code CLUSTER_SECRET}, see {@link ClusterKeys})
 * and AES/CBC/PKCS5Padding with a random 16-byte IV per message instead of its default "AES" (ECB). As in every
 * JGroups 5 Encrypt, the whole message (headers of the protocols above and payload) is serialized and encrypted.
 *
 * <p>What it changes on the receiving side: JGroups logs every message it cannot decrypt (one ERROR or WARN line
 * per message), so a stranger could flood the log. Here each such message — no encryption header, a header naming
 * another key, or a body that does not decrypt — is dropped, counted and reported to the {@link RejectListener}
 * (the replicator counts it in {@code messages_rejected_auth} and logs at a bounded rate); JGroups logs nothing.
 *
 * <p>CBC alone does not authenticate: a tampered ciphertext usually fails the padding check, but not always. The
 * Tandem payload carries its own HMAC ({@link WireCodec}), so a tampered delta is rejected above this layer.
 *
 * <p>Thread-safe as SYM_ENCRYPT is (a pool of ciphers); the listener is set once before the channel connects.
 */
@SuppressWarnings("unchecked") // inherited: SYM_ENCRYPT.setKeyStoreEntry overrides a generic method with a raw return
public class TandemEncrypt extends SYM_ENCRYPT {
    /** Protocol id of this class; JGroups reserves ids below 512. */
    static final short PROTOCOL_ID = 1701;
    static final String ALGORITHM = "AES/CBC/PKCS5Padding";
    static final int IV_BYTES = 16;

    static {
        ClassConfigurator.addProtocol(PROTOCOL_ID, TandemEncrypt.class);
    }

    /** Told about every message dropped because it is not encrypted with our key. */
    @FunctionalInterface
    interface RejectListener {
        /** @param kind "unencrypted", "wrong-key" or "undecryptable"; called on a JGroups thread, must not block */
        void rejected(String kind, Address src);
    }

    private volatile RejectListener listener = (kind, src) -> { };

    /** A JGroups stack creates protocols by reflection; use {@link #withKey}. */
    public TandemEncrypt() {
    }

    static TandemEncrypt withKey(SecretKey key) {
        TandemEncrypt e = new TandemEncrypt();
        e.symAlgorithm(ALGORITHM);
        e.symIvLength(IV_BYTES);
        e.symKeylength(key.getEncoded().length * 8);
        e.setSecretKey(key);
        return e;
    }

    void listener(RejectListener l) {
        this.listener = l;
    }

    @Override
    public Object up(Message msg) {
        String problem = check(msg);
        if (problem != null) {
            listener.rejected(problem, msg.getSrc());
            return null;
        }
        try {
            return handleEncryptedMessage(msg);
        } catch (Exception e) {
            listener.rejected("undecryptable", msg.getSrc());
            return null;
        }
    }

    @Override
    public void up(MessageBatch batch) {
        BlockingQueue<Cipher> pool = decoding_ciphers;
        Cipher cipher;
        try {
            cipher = pool.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        List<Message> plain = new ArrayList<>(batch.size());
        try {
            for (Message msg : batch) {
                String problem = check(msg);
                if (problem != null) {
                    listener.rejected(problem, msg.getSrc());
                    continue;
                }
                try {
                    Message m = decrypt(cipher, msg.copy(true, true));
                    if (m != null) {
                        plain.add(m);
                    }
                } catch (Exception e) {
                    listener.rejected("undecryptable", msg.getSrc());
                }
            }
        } finally {
            pool.offer(cipher);
        }
        batch.clear();
        if (!plain.isEmpty()) {
            batch.add(plain);
            up_prot.up(batch);
        }
    }

    /** Null when the message is encrypted with our key, else the kind of rejection. */
    private String check(Message msg) {
        EncryptHeader h = msg.getHeader(id);
        if (h == null) {
            return "unencrypted";
        }
        // the key version is an MD5 of the key (not secret: anyone on the wire sees it); a mismatch is a stranger
        if (!Arrays.equals(h.version(), sym_version)) {
            return "wrong-key";
        }
        return null;
    }
}
