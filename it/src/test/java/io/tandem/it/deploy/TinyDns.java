package io.tandem.it.deploy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A DNS server for tests, on UDP port 53 of a loopback address: it answers A queries for the names it is given (every
 * address of a name in one answer, as Docker's embedded DNS and a headless Kubernetes Service do), answers AAAA with
 * no records, and everything else with NXDOMAIN. It records every question, so a test can show who asked for what.
 *
 * <p>Processes reach it through {@link #resolvConf()}: a resolv.conf naming only this server, bind-mounted over
 * /etc/resolv.conf in the process's own mount namespace (see {@link Launched}). The JVM's resolver, glibc's and
 * haproxy's then send real DNS packets here: the same path a name takes in a container.
 *
 * <p>Thread-safe: records may change while the server answers (a controller that starts later appears).
 */
final class TinyDns implements AutoCloseable {
    /** One question as received. */
    record Question(String name, int type) {
    }

    static final int A = 1;
    static final int AAAA = 28;

    private final DatagramSocket socket;
    private final Map<String, List<String>> records = new ConcurrentHashMap<>();
    private final List<Question> questions = new CopyOnWriteArrayList<>();
    private final Path resolvConf;
    private final Thread thread;

    private TinyDns(DatagramSocket socket, Path resolvConf) {
        this.socket = socket;
        this.resolvConf = resolvConf;
        this.thread = new Thread(this::serve, "tiny-dns");
        this.thread.setDaemon(true);
    }

    /** Starts on {@code address}:53 (needs root) and writes {@code dir}/resolv.conf naming it. */
    static TinyDns start(String address, Path dir) throws IOException {
        DatagramSocket s = new DatagramSocket(null);
        s.bind(new InetSocketAddress(InetAddress.getByName(address), 53));
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, "# written by TinyDns for one test\nnameserver " + address + "\noptions timeout:1 attempts:3\n");
        TinyDns dns = new TinyDns(s, conf);
        dns.thread.start();
        return dns;
    }

    /** Sets the A records of {@code name} (replacing earlier ones); no addresses removes the name. */
    TinyDns set(String name, List<String> addresses) {
        String key = normalize(name);
        if (addresses.isEmpty()) {
            records.remove(key);
        } else {
            records.put(key, List.copyOf(addresses));
        }
        return this;
    }

    Path resolvConf() {
        return resolvConf;
    }

    /** Every question received so far, in order. */
    List<Question> questions() {
        return List.copyOf(questions);
    }

    /** How many A questions named {@code name}. */
    long aQuestionsFor(String name) {
        String key = normalize(name);
        return questions.stream().filter(q -> q.type() == A && q.name().equals(key)).count();
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private void serve() {
        byte[] buf = new byte[1500];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(packet);
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                continue;
            }
            byte[] reply = answer(ByteBuffer.wrap(packet.getData(), 0, packet.getLength()));
            if (reply != null) {
                try {
                    socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
                } catch (IOException ignored) {
                    // the asker is gone; it will retry
                }
            }
        }
    }

    /** The reply to one query, or null when the packet is not a query we can parse. */
    private byte[] answer(ByteBuffer in) {
        if (in.remaining() < 12) {
            return null;
        }
        int id = in.getShort() & 0xffff;
        int flags = in.getShort() & 0xffff;
        int qdcount = in.getShort() & 0xffff;
        in.position(12);
        if ((flags & 0x8000) != 0 || qdcount != 1) {
            return null;
        }
        int questionStart = in.position();
        StringBuilder name = new StringBuilder();
        while (true) {
            if (!in.hasRemaining()) {
                return null;
            }
            int len = in.get() & 0xff;
            if (len == 0) {
                break;
            }
            if (len > 63 || in.remaining() < len) {
                return null;
            }
            byte[] label = new byte[len];
            in.get(label);
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(new String(label, java.nio.charset.StandardCharsets.US_ASCII));
        }
        if (in.remaining() < 4) {
            return null;
        }
        int qtype = in.getShort() & 0xffff;
        int qclass = in.getShort() & 0xffff;
        int questionEnd = in.position();
        String key = normalize(name.toString());
        questions.add(new Question(key, qtype));

        List<String> addresses = records.get(key);
        List<byte[]> answers = new ArrayList<>();
        if (addresses != null && qtype == A && qclass == 1) {
            for (String a : addresses) {
                try {
                    answers.add(InetAddress.getByName(a).getAddress());
                } catch (IOException e) {
                    throw new IllegalStateException("bad record " + a, e);
                }
            }
        }
        int rcode = addresses == null ? 3 : 0; // NXDOMAIN for unknown names, NOERROR (maybe empty) for known ones
        ByteBuffer out = ByteBuffer.allocate(12 + (questionEnd - questionStart) + answers.size() * 16);
        out.putShort((short) id);
        out.putShort((short) (0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode)); // QR, AA, RD echoed, RA
        out.putShort((short) 1);
        out.putShort((short) answers.size());
        out.putShort((short) 0);
        out.putShort((short) 0);
        out.put(in.array(), in.arrayOffset() + questionStart, questionEnd - questionStart);
        for (byte[] a : answers) {
            out.putShort((short) 0xc00c); // the name: a pointer to the question's
            out.putShort((short) A);
            out.putShort((short) 1);
            out.putInt(1); // TTL 1 s: a record change is seen at once
            out.putShort((short) 4);
            out.put(a);
        }
        return out.array();
    }
}
