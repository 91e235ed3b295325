package io.tandem.transport;

import io.tandem.core.cluster.Member;
import io.tandem.core.cluster.Replicator;
import io.tandem.core.ledger.ApplyResult;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.core.ledger.RowSnapshot;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.Discovery;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ExtendedUUID;
import org.jgroups.util.Responses;

/**
 * Shares the {@link Ledger} over a JGroups channel.
 *
 * <p><b>Algorithm.</b>
 * <ul>
 *   <li><i>Who is who.</i> Every member's address is an {@link ExtendedUUID} carrying its {@link Incarnation}
 *   (controller id, start time, tiebreak) under {@value #INCARNATION_KEY}, so a view alone tells which incarnation
 *   each member is. Messages name their owner too and are accepted only when that matches the sender's address.</li>
 *   <li><i>Deltas.</i> One flusher thread drains {@link Ledger#drain()} and multicasts each batch in drain order, at
 *   most once per {@code CLUSTER_FLUSH_INTERVAL}: at once when a pending change is urgent (a count at or above half
 *   of its limit, see {@code Balancer.nearLimit}), else once the oldest pending change has waited
 *   {@code CLUSTER_FLUSH_MAX_DELAY} (equal to the interval unless set: coalescing far from limits is opt-in, since
 *   each message costs every peer a decryption, a MAC and JGroups' handling; BENCHMARKS.md sections 4 and 6). With
 *   nothing pending it sleeps until the ledger reports a change. While a send is slow (flow-control credits
 *   exhausted) changes keep coalescing in the ledger; admission never waits for the flusher.</li>
 *   <li><i>Applying.</i> A DELTA is applied if it is the next sequence number of its owner. A GAP holds the delta
 *   and asks the owner (RESYNC_REQUEST, at most one outstanding per owner) for its full row; the ROW answer is
 *   installed and the held deltas replayed, the ledger discarding what the row already contains. A DUPLICATE is
 *   ignored. A CONFLICT (our own id, a newer incarnation) raises the alarm and calls the fatal handler.</li>
 *   <li><i>Announcements.</i> Each member multicasts a HELLO (its URLs and the sequence number of its last sent
 *   delta) when it joins, on every view change and every second. Multicasts of one sender arrive in order, so a
 *   receiver that has applied less than the announced number missed a delta for good and asks for the row: with
 *   no traffic, every member converges within about a second even after a lost message.</li>
 *   <li><i>State transfer.</i> A joiner connects, then fetches the coordinator's {@link Ledger#snapshot()}
 *   (atomic: no delta is applied while it is taken). It installs every row except those of its own controller
 *   id (a ghost of itself). Messages that arrive before the state is installed are buffered and applied after it,
 *   in arrival order; the sequence check drops those the snapshot already holds.</li>
 *   <li><i>Views.</i> Rows of incarnations not in the view are dropped. When two incarnations of one controller id
 *   are in the view, the older is a ghost (a restart on the same address): its row is dropped at once and the
 *   coordinator (or the next in line, when the ghost is the coordinator) passes a SUSPECT event up into
 *   VERIFY_SUSPECT2, which confirms the ghost is dead and has GMS remove it, long before FD_ALL3 would. A member
 *   that sees a newer incarnation of its own id calls the fatal handler.</li>
 *   <li><i>Merges.</i> On a MergeView every member multicasts its own full ROW and a HELLO; receivers install the
 *   row with the highest (incarnation, sequence) per controller id, so nothing is counted twice.</li>
 *   <li><i>Security.</i> With a secret, the stack encrypts everything above discovery ({@link TandemEncrypt}) and
 *   every message carries an HMAC ({@link WireCodec}), both keyed from {@code CLUSTER_SECRET} ({@link ClusterKeys}).
 *   What either layer rejects is counted in {@code messages_rejected_auth} and logged at most once per kind per
 *   10 s, so a stranger can neither change a count nor flood the log.</li>
 *   <li><i>Readiness.</i> Ready once the state is installed, or, for the first member, once peers joined or
 *   {@code CLUSTER_JOIN_WAIT} passed alone with discovery finding nobody else (see {@link #endJoinWait()}); and
 *   while the view holds at least {@code CLUSTER_MIN_MEMBERS}.</li>
 * </ul>
 *
 * <p><b>Threads.</b> Three threads of its own: the flusher, a watch that stops counting peers silent for
 * {@link #STALE_AFTER_MS} (see {@link #syncedMembers()}), and a control thread that sends everything else
 * (HELLO, ROW, RESYNC_REQUEST), fetches the state and runs timers. JGroups' threads deliver messages and views;
 * they decode, update the ledger and the peer table under one lock, and hand any send to the control thread, so
 * a delivery thread never blocks on flow control and there is no thread per message. An exception in any
 * callback is logged with the controller id and never ends a loop.
 *
 * <p><b>Thread-safety.</b> Thread-safe. The peer table, the current view and the pre-state buffer are guarded by
 * one lock, never held across I/O; the ledger has its own monitor, always taken after (never before) that lock.
 */
public final class JGroupsReplicator implements Replicator {
    /** ExtendedUUID key under which a member's address carries its incarnation. */
    static final String INCARNATION_KEY = "tandem.inc";
    static final long ANNOUNCE_INTERVAL_MS = 1000;
    /**
     * A peer silent this long (no delta, HELLO or row; it announces itself every second) is not counted in the
     * shares until it is heard again: its row is frozen at what it last said, and FD_ALL3 takes seconds longer to
     * remove it (docs/design-notes.md, "Degraded shares").
     */
    static final long STALE_AFTER_MS = 3 * ANNOUNCE_INTERVAL_MS;
    static final long STALE_CHECK_MS = 250;
    /**
     * After a MergeView, a peer whose ROW has not arrived this long after it is asked for it by unicast. The merged
     * peers' multicast ROWs can be lost in the merge itself: JGroups drops a multicast from a sender that is not
     * yet in the receiver's view, and NAKACK2 then holds back everything later from that sender behind the gap
     * (ControllerCrashIT: nothing from one peer for over a second after a merge, so the side stayed degraded).
     */
    static final long MERGE_ROW_WAIT_MS = 250;
    static final long STATE_TIMEOUT_MS = 30_000;
    static final long STATE_RETRY_MS = 1000;
    /** Join waits alone with peers discovered (and no secret mismatch seen) before that is a warning. */
    static final int UNJOINED_ROUNDS_BEFORE_WARNING = 3;
    /** How long the end of a join wait waits for discovery answers. */
    static final long DISCOVERY_WAIT_MS = 1000;
    /** An unanswered RESYNC_REQUEST is asked again after this long. */
    static final long RESYNC_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** At most one RESYNC_REQUEST per owner per this interval, even when each is answered at once. */
    static final long RESYNC_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final int MAX_EARLY_MESSAGES = 200_000;
    static final int MAX_HELD_DELTAS = 10_000;

    private static final Logger LOG = System.getLogger(JGroupsReplicator.class.getName());

    private final Ledger ledger;
    private final TransportSettings settings;
    private final List<Protocol> stack;
    private final String apiUrl;
    private final String adminUrl;
    private final FatalHandler fatal;
    private final Incarnation self;
    private final String id;
    private final WireCodec codec;
    private final LogLimiter limited;
    private final ScheduledExecutorService control;
    private final ScheduledExecutorService staleWatch;
    private final Thread flusher;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean fatalRaised = new AtomicBoolean();
    private volatile boolean flushing = true;
    private volatile JChannel channel;
    /** Sequence number of the last delta whose send returned; what HELLO announces. Written by the flusher only. */
    private volatile long lastSentSeq;

    private final Object lock = new Object();
    // ---- guarded by lock
    /** Written under {@code lock}; read without it by {@link #viewSize()}, which the invoke path calls. */
    private volatile View view;
    private final Map<Address, Peer> peers = new HashMap<>();
    private final Set<Address> ghosts = new HashSet<>();
    private final Set<Address> suspected = new HashSet<>();
    private final ArrayDeque<Inbound> early = new ArrayDeque<>();
    private boolean earlyOverflowed;
    private boolean firstMember;
    private long replacedInView;
    // ---- end guarded by lock
    /** 1 + the peers whose row is held ({@link Peer#synced}); written under {@code lock}, read without it. */
    private volatile int syncedMembers = 1;
    private volatile boolean stateInstalled;
    /**
     * Members that discovery found but this controller, alone in its view, could not join when its join wait ended
     * (another CLUSTER_SECRET, or a join that raced its own ghost): it stays unready until it is in a view with
     * peers. Empty otherwise. Written on the control thread.
     */
    private volatile List<String> unjoined = List.of();
    /** Join waits that ended with peers discovered but not joined; control thread only. */
    private int unjoinedRounds;

    private final LongAdder deltasSent = new LongAdder();
    /** Deltas drained at once because a change was near its limit, not after the coalescing delay. */
    private final LongAdder deltasUrgent = new LongAdder();
    private final LongAdder deltasApplied = new LongAdder();
    private final LongAdder deltasDuplicate = new LongAdder();
    private final LongAdder deltasGap = new LongAdder();
    private final LongAdder deltasStale = new LongAdder();
    private final LongAdder deltasRejected = new LongAdder();
    private final LongAdder resyncsRequested = new LongAdder();
    private final LongAdder resyncsAnswered = new LongAdder();
    private final LongAdder rowsInstalled = new LongAdder();
    private final LongAdder messagesDropped = new LongAdder();
    /** Not encrypted with our key (SYM_ENCRYPT) or a bad MAC: from a process without the secret. */
    private final LongAdder rejectedAuth = new LongAdder();
    private final LongAdder unknownSender = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder views = new LongAdder();
    private final LongAdder merges = new LongAdder();
    private final LongAdder ghostEvictions = new LongAdder();
    private final LongAdder stateTransfers = new LongAdder();
    private final LongAdder stateTransferFailures = new LongAdder();
    private final LongAdder statesServed = new LongAdder();
    /** When the current state request was sent (control thread writes, JGroups' state thread reads). */
    private volatile long stateRequestedNanos;
    private volatile long lastStateMs = -1;
    private volatile long lastStateBytes = -1;
    private volatile long lastStateRows = -1;

    /** A peer in the current view, as its HELLOs and deltas describe it. Guarded by {@code lock}. */
    private static final class Peer {
        final Address address;
        final Incarnation incarnation;
        String apiUrl;
        String adminUrl;
        String configHash;
        int wireVersion = -1;
        /** Highest sequence number this owner announced (HELLO) or sent (DELTA, ROW). */
        long announcedSeq;
        /** System.nanoTime() of its last DELTA; 0: none yet. */
        long lastDeltaNanos;
        /** A row is awaited: deltas are held meanwhile. */
        boolean resyncOutstanding;
        /** Whether, and when, this owner was last asked for its row. */
        boolean resyncAsked;
        long resyncAskedNanos;
        /** Deltas received while a resync is outstanding, in arrival order. */
        final ArrayDeque<DeltaBatch> held = new ArrayDeque<>();
        /**
         * Its row is held: it came into the view by joining (a new incarnation starts from an empty row) or with
         * the state transfer, or its ROW arrived. False for a peer that came in by a merge until its ROW (or a HELLO
         * saying it never sent a delta) arrives: until then the counts lack its work.
         */
        boolean synced;
        /** System.nanoTime() of the last message from it (or of its entering the view). */
        long lastHeardNanos = System.nanoTime();
        /** Silent for {@link #STALE_AFTER_MS}: not counted until heard again. */
        boolean stale;

        Peer(Address address, Incarnation incarnation) {
            this.address = address;
            this.incarnation = incarnation;
        }
    }

    /** A decoded message waiting for the state to be installed. */
    private record Inbound(Address src, WireMessage message) {
    }

    /**
     * A replicator on the production stack (TCP and the configured discovery).
     *
     * @param apiUrl   this controller's API base URL, told to peers (they forward activation reads to it)
     * @param adminUrl this controller's admin base URL, told to peers
     * @param fatal    called once, on its own thread, when this process must stop
     */
    public JGroupsReplicator(Ledger ledger, TransportSettings settings, String apiUrl, String adminUrl,
                             FatalHandler fatal) {
        this(ledger, settings, keys(settings), apiUrl, adminUrl, fatal);
    }

    private JGroupsReplicator(Ledger ledger, TransportSettings settings, ClusterKeys keys, String apiUrl,
                              String adminUrl, FatalHandler fatal) {
        this(ledger, settings, ProtocolStacks.tcp(settings, keys), keys, apiUrl, adminUrl, fatal);
    }

    /**
     * A replicator on a prebuilt protocol stack, bottom first (tests: SHARED_LOOPBACK, DISCARD, fault injectors).
     * Messages carry a MAC when the settings have a secret; encryption is whatever the stack holds.
     */
    JGroupsReplicator(Ledger ledger, TransportSettings settings, List<Protocol> stack, String apiUrl, String adminUrl,
                      FatalHandler fatal) {
        this(ledger, settings, stack, keys(settings), apiUrl, adminUrl, fatal);
    }

    private JGroupsReplicator(Ledger ledger, TransportSettings settings, List<Protocol> stack, ClusterKeys keys,
                              String apiUrl, String adminUrl, FatalHandler fatal) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.stack = List.copyOf(stack);
        this.apiUrl = apiUrl;
        this.adminUrl = adminUrl;
        this.fatal = Objects.requireNonNull(fatal, "fatal");
        this.self = ledger.self();
        this.id = self.controllerId();
        if (!id.equals(settings.controllerId())) {
            throw new IllegalArgumentException("ledger of " + id + " but settings of " + settings.controllerId());
        }
        this.codec = new WireCodec(settings.maxMessageBytes(), settings.maxKeys(), settings.maxStateBytes(),
                keys == null ? null : keys.macKey());
        this.limited = new LogLimiter(LOG, id, 10, TimeUnit.SECONDS, System::nanoTime);
        for (Protocol p : this.stack) {
            if (p instanceof TandemEncrypt) {
                ((TandemEncrypt) p).listener((kind, src) -> rejectedAuth(kind, src, "not encrypted with our key"));
            }
        }
        this.control = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-cluster-" + id));
        this.staleWatch = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-stale-" + id));
        this.flusher = daemon(this::flushLoop, "tandem-flusher-" + id);
        ledger.onPending(this::onLedgerPending);
    }

    /** The keys derived from the settings' secret, or null for an insecure cluster. */
    private static ClusterKeys keys(TransportSettings settings) {
        return settings.secret() == null ? null : ClusterKeys.derive(settings.secret(), settings.clusterName());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Override
    public void start() throws Exception {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        JChannel ch = new JChannel(stack);
        try {
            ProtocolStacks.disableDiagnostics(ch);
            byte[] inc = self.toString().getBytes(StandardCharsets.UTF_8);
            ch.addAddressGenerator(() -> ExtendedUUID.randomUUID(id).put(INCARNATION_KEY, inc));
            ch.name(id);
            ch.setDiscardOwnMessages(true);
            ch.setReceiver(new ChannelReceiver());
            channel = ch;
            ch.connect(settings.clusterName());
        } catch (Exception e) {
            ch.close();
            throw e;
        }
        log(Level.INFO, "joined cluster " + settings.clusterName() + " as " + self + " at " + ch.getAddress()
                + ", view " + ch.getView());
        flusher.start();
        control.scheduleAtFixedRate(() -> guarded("announce", this::announce), ANNOUNCE_INTERVAL_MS,
                ANNOUNCE_INTERVAL_MS, TimeUnit.MILLISECONDS);
        // its own thread: the control thread can wait in a send (flow control) or a state transfer
        staleWatch.scheduleAtFixedRate(() -> guarded("stale", this::checkStale), STALE_CHECK_MS, STALE_CHECK_MS,
                TimeUnit.MILLISECONDS);
        execute("hello", this::sendHello); // the one sent from the first view went out before we were connected
        execute("state", this::fetchState);
    }

    /** Flushes what is pending, leaves the cluster gracefully and stops both threads. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        flushing = false;
        if (flusher.isAlive()) {
            LockSupport.unpark(flusher);
            try {
                flusher.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        staleWatch.shutdownNow();
        control.shutdown();
        try {
            if (!control.awaitTermination(2, TimeUnit.SECONDS)) {
                control.shutdownNow();
            }
        } catch (InterruptedException e) {
            control.shutdownNow();
            Thread.currentThread().interrupt();
        }
        JChannel ch = channel;
        if (ch != null) {
            ch.close(); // disconnects first: a graceful leave
            log(Level.INFO, "left cluster " + settings.clusterName());
        }
    }

    // ------------------------------------------------------------------------------------------------ the port

    @Override
    public boolean ready() {
        return stateInstalled && !closed.get() && !fatalRaised.get() && viewSize() >= settings.minMembers();
    }

    @Override
    public int viewSize() {
        // Lock-free on purpose: admission calls this (through SharePolicy) while holding the ledger's monitor, and
        // the receiver holds {@code lock} while it applies deltas to the ledger. Taking {@code lock} here deadlocked.
        View v = view;
        return v == null ? 1 : v.size();
    }

    /**
     * {@inheritDoc} Also left out: peers silent for {@link #STALE_AFTER_MS}. Behind a silent cut their rows are
     * frozen at what they last said while they go on admitting, so both sides admitting the whole limit overshot
     * it for the 12-13 s failure detection takes (OneWayCutIT: 22 of 16); a silent peer is counted again as soon as
     * anything from it arrives.
     */
    @Override
    public int syncedMembers() {
        // Lock-free for the same reason as viewSize()
        return syncedMembers;
    }

    @Override
    public int rank() {
        // Lock-free for the same reason as viewSize(); JGroups orders a view's members the same on every member.
        View v = view;
        JChannel ch = channel;
        if (v == null || ch == null) {
            return 0;
        }
        return Math.max(0, v.getMembers().indexOf(ch.getAddress()));
    }

    /** The live members of the view (ghosts being evicted are left out), this controller included. */
    @Override
    public List<Member> members() {
        synchronized (lock) {
            List<Member> out = new ArrayList<>();
            if (view == null) {
                out.add(new Member(self, apiUrl, adminUrl, true, true));
                return out;
            }
            for (Address a : view.getMembers()) {
                Incarnation inc = incarnationOf(a);
                if (inc == null || ghosts.contains(a)) {
                    continue;
                }
                boolean coordinator = a.equals(view.getCoord());
                if (inc.equals(self)) {
                    out.add(new Member(self, apiUrl, adminUrl, coordinator, true));
                } else {
                    Peer p = peers.get(a);
                    out.add(new Member(inc, p == null ? null : p.apiUrl, p == null ? null : p.adminUrl, coordinator,
                            false));
                }
            }
            return out;
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<Incarnation, Long> applied = ledger.remoteSequences();
        long now = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        synchronized (lock) {
            int size = view == null ? 1 : view.size();
            out.put("clustering", "on");
            out.put("cluster", settings.clusterName());
            out.put("self", self.toString());
            out.put("viewId", view == null ? null : view.getViewId().toString());
            Address coord = view == null ? null : view.getCoord();
            Incarnation coordInc = coord == null ? null : incarnationOf(coord);
            out.put("coordinator", coordInc == null ? String.valueOf(coord) : coordInc.toString());
            out.put("viewSize", size);
            out.put("syncedMembers", syncedMembers);
            out.put("expected", settings.controllerCount());
            out.put("degraded", syncedMembers < settings.controllerCount());
            out.put("ready", ready());
            if (!unjoined.isEmpty()) {
                out.put("notJoined", unjoined);
            }
            List<Map<String, Object>> members = new ArrayList<>();
            List<Map<String, Object>> lag = new ArrayList<>();
            if (view != null) {
                for (Address a : view.getMembers()) {
                    Incarnation inc = incarnationOf(a);
                    Peer p = peers.get(a);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("controllerId", inc == null ? null : inc.controllerId());
                    m.put("incarnation", inc == null ? null : inc.toString());
                    m.put("address", a.toString());
                    boolean isSelf = inc != null && inc.equals(self);
                    m.put("apiUrl", isSelf ? apiUrl : p == null ? null : p.apiUrl);
                    m.put("adminUrl", isSelf ? adminUrl : p == null ? null : p.adminUrl);
                    m.put("self", isSelf);
                    m.put("coordinator", a.equals(coord));
                    m.put("ghost", ghosts.contains(a));
                    if (p != null) {
                        m.put("synced", p.synced);
                        m.put("stale", p.stale);
                        m.put("msSinceHeard", TimeUnit.NANOSECONDS.toMillis(now - p.lastHeardNanos));
                        m.put("wireVersion", p.wireVersion);
                        m.put("configHash", p.configHash);
                        long appliedSeq = applied.getOrDefault(p.incarnation, 0L);
                        Map<String, Object> l = new LinkedHashMap<>();
                        l.put("incarnation", p.incarnation.toString());
                        l.put("appliedSeq", appliedSeq);
                        l.put("announcedSeq", p.announcedSeq);
                        l.put("lag", Math.max(0, p.announcedSeq - appliedSeq));
                        l.put("msSinceLastDelta", p.lastDeltaNanos == 0 ? -1
                                : TimeUnit.NANOSECONDS.toMillis(now - p.lastDeltaNanos));
                        l.put("resyncOutstanding", p.resyncOutstanding);
                        lag.add(l);
                    }
                    members.add(m);
                }
            }
            out.put("members", members);
            out.put("peerLag", lag);
        }
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("count", stateTransfers.sum());
        st.put("failures", stateTransferFailures.sum());
        st.put("lastDurationMs", lastStateMs);
        st.put("lastSizeBytes", lastStateBytes);
        st.put("lastRows", lastStateRows);
        st.put("served", statesServed.sum());
        out.put("stateTransfer", st);
        out.put("counters", metrics());
        return out;
    }

    @Override
    public Map<String, Number> metrics() {
        int size = viewSize();
        long replaced;
        synchronized (lock) {
            replaced = replacedInView;
        }
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("deltas_sent", deltasSent.sum());
        m.put("deltas_sent_urgent", deltasUrgent.sum());
        m.put("deltas_applied", deltasApplied.sum());
        m.put("deltas_duplicate", deltasDuplicate.sum());
        m.put("deltas_gap", deltasGap.sum());
        m.put("deltas_stale", deltasStale.sum());
        m.put("deltas_rejected", deltasRejected.sum());
        m.put("resyncs_requested", resyncsRequested.sum());
        m.put("resyncs_answered", resyncsAnswered.sum());
        m.put("rows_installed", rowsInstalled.sum());
        m.put("messages_dropped", messagesDropped.sum());
        m.put("messages_rejected_auth", rejectedAuth.sum());
        m.put("messages_unknown_sender", unknownSender.sum());
        m.put("send_failures", sendFailures.sum());
        m.put("views", views.sum());
        m.put("merges", merges.sum());
        m.put("replaced_incarnations", ledger.replacedIncarnations() + replaced);
        m.put("ghost_evictions", ghostEvictions.sum());
        m.put("state_transfers", stateTransfers.sum());
        m.put("state_transfer_failures", stateTransferFailures.sum());
        m.put("state_transfer_last_ms", lastStateMs);
        m.put("state_transfer_last_bytes", lastStateBytes);
        m.put("states_served", statesServed.sum());
        m.put("view_size", size);
        m.put("synced_members", syncedMembers);
        m.put("degraded", syncedMembers < settings.controllerCount() ? 1 : 0);
        m.put("ready", ready() ? 1 : 0);
        return m;
    }

    /** The channel, once started (tests: addresses, protocols). */
    JChannel channel() {
        return channel;
    }

    // ------------------------------------------------------------------------------------------------ flusher

    /** What the flusher is waiting for; read by the ledger's pending listener to decide whether to wake it. */
    private static final int FLUSHER_BUSY = 0;
    private static final int FLUSHER_IDLE = 1;
    private static final int FLUSHER_HOLDING = 2;
    private volatile int flusherState = FLUSHER_BUSY;
    /** Longest the flusher sleeps without a signal: a safety net, not a schedule. */
    private static final long FLUSHER_MAX_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Wakes the flusher when it sleeps with nothing pending, or holds a lazy change and one becomes urgent. */
    private void onLedgerPending(boolean urgent) {
        int state = flusherState;
        if (state == FLUSHER_IDLE || (urgent && state == FLUSHER_HOLDING)) {
            LockSupport.unpark(flusher);
        }
    }

    /**
     * Drains and multicasts deltas in order until closed, then drains once more. Runs on the flusher thread.
     *
     * <p>Sends are at least {@code CLUSTER_FLUSH_INTERVAL} apart. A pending change goes at the first look on or
     * after that when it is urgent, else once it has been seen pending for {@code CLUSTER_FLUSH_MAX_DELAY} less
     * one interval (it may have waited up to one interval before the look that first saw it). With nothing
     * pending the flusher sleeps until the ledger reports a change ({@link Ledger#onPending}), so an idle
     * controller does not wake every interval, and a busy one wakes about once per send.
     */
    private void flushLoop() {
        long intervalNanos = settings.flushInterval().toNanos();
        long holdNanos = settings.flushMaxDelay().toNanos() - intervalNanos;
        long pendingSince = 0;
        boolean holding = false;
        long lastSend = System.nanoTime() - intervalNanos;
        DeltaBatch unsent = null;
        while (true) {
            boolean last = !flushing;
            long now = System.nanoTime();
            boolean urgent = false;
            try {
                if (unsent == null) {
                    if (!ledger.hasPending()) {
                        holding = false;
                    } else if (!holding) {
                        holding = true;
                        pendingSince = now;
                    }
                    urgent = holding && ledger.hasUrgentPending();
                    boolean due = last || (now - lastSend >= intervalNanos
                            && (urgent || now - pendingSince >= holdNanos));
                    if (holding && due) {
                        unsent = ledger.drain();
                        holding = false;
                        if (unsent != null && urgent) {
                            deltasUrgent.increment();
                        }
                    }
                }
                if (unsent != null && sendDelta(unsent)) {
                    unsent = null;
                    lastSend = now;
                }
            } catch (RuntimeException e) {
                limited.log(Level.ERROR, "flusher", "flusher: " + e);
            }
            if (last) {
                if (unsent != null) {
                    log(Level.WARNING, "left with delta " + unsent.seq() + " unsent");
                }
                return;
            }
            park(now, intervalNanos, holdNanos, unsent != null, holding, urgent, pendingSince, lastSend);
        }
    }

    /** The flusher's sleep until its next look: see {@link #flushLoop()}. */
    private void park(long now, long intervalNanos, long holdNanos, boolean retry, boolean holding, boolean urgent,
                      long pendingSince, long lastSend) {
        long nextSendAllowed = lastSend + intervalNanos;
        if (retry || now < nextSendAllowed) {
            // a send to retry, or just sent: look again one interval on (changes made meanwhile wait for it)
            LockSupport.parkNanos(retry ? intervalNanos : nextSendAllowed - now);
        } else if (holding && !urgent) {
            flusherState = FLUSHER_HOLDING;
            if (!ledger.hasUrgentPending()) {
                LockSupport.parkNanos(Math.max(1, pendingSince + holdNanos - now));
            }
            flusherState = FLUSHER_BUSY;
        } else if (!holding) {
            flusherState = FLUSHER_IDLE;
            if (!ledger.hasPending() && flushing) {
                LockSupport.parkNanos(FLUSHER_MAX_PARK_NANOS);
            }
            flusherState = FLUSHER_BUSY;
        }
        // holding and urgent, send allowed: no sleep, the next look sends
    }

    /** Multicasts one batch; false when it could not be sent (the flusher retries the same batch). */
    private boolean sendDelta(DeltaBatch batch) {
        byte[] bytes = codec.encode(new WireMessage.Delta(batch));
        if (bytes.length > codec.maxMessageBytes()) {
            // Receivers with the same cap will drop it and heal by resync, which will not fit either: say so loudly.
            limited.log(Level.ERROR, "oversized-send", "delta " + batch.seq() + " is " + bytes.length
                    + " bytes, more than CLUSTER_MAX_MESSAGE_BYTES=" + codec.maxMessageBytes()
                    + "; peers will drop it: raise CLUSTER_MAX_MESSAGE_BYTES");
        }
        JChannel ch = channel;
        try {
            ch.send(new BytesMessage(null, bytes));
        } catch (Exception e) {
            sendFailures.increment();
            limited.log(Level.WARNING, "send-delta", "could not multicast delta " + batch.seq() + ": " + e);
            return false;
        }
        lastSentSeq = batch.seq();
        deltasSent.increment();
        return true;
    }

    // ------------------------------------------------------------------------------------------------ receiving

    /** JGroups' callbacks. Kept off the public surface of the replicator. */
    private final class ChannelReceiver implements Receiver {
        @Override
        public void receive(Message msg) {
            guarded("receive", () -> onRawMessage(msg));
        }

        @Override
        public void viewAccepted(View v) {
            guarded("view", () -> onView(v));
        }

        @Override
        public void getState(OutputStream out) throws Exception {
            serveState(out);
        }

        @Override
        public void setState(InputStream in) throws Exception {
            installState(in);
        }
    }

    private void onRawMessage(Message msg) {
        Address src = msg.getSrc();
        int len = msg.getLength();
        if (len > codec.maxMessageBytes()) {
            dropped("oversized", src, len + " bytes, more than CLUSTER_MAX_MESSAGE_BYTES=" + codec.maxMessageBytes());
            return;
        }
        if (!msg.hasArray()) {
            dropped("type", src, "not a byte message");
            return;
        }
        WireMessage m;
        try {
            m = codec.decode(msg.getArray(), msg.getOffset(), len);
        } catch (WireException e) {
            if (WireCodec.AUTH_KIND.equals(e.kind())) {
                rejectedAuth(e.kind(), src, e.getMessage());
            } else {
                dropped(e.kind(), src, e.getMessage());
            }
            return;
        }
        if (m instanceof WireMessage.ResyncRequest) {
            onResyncRequest(src, (WireMessage.ResyncRequest) m);
            return;
        }
        synchronized (lock) {
            if (!stateInstalled) {
                if (early.size() < MAX_EARLY_MESSAGES) {
                    early.add(new Inbound(src, m));
                } else if (!earlyOverflowed) {
                    // HELLO announcements make us resync whatever this loses once the state is in.
                    earlyOverflowed = true;
                    log(Level.WARNING, "more than " + MAX_EARLY_MESSAGES + " messages before the state arrived;"
                            + " dropping the rest, peers will be resynced");
                }
                return;
            }
            handle(src, m);
        }
    }

    /** Applies one message. Caller holds {@code lock}. */
    private void handle(Address src, WireMessage m) {
        Peer peer = peers.get(src);
        if (peer != null) {
            peer.lastHeardNanos = System.nanoTime();
            if (peer.stale) {
                peer.stale = false;
                log(Level.INFO, "heard from " + peer.incarnation + " again: counting it");
                recountSynced();
            }
        }
        if (m instanceof WireMessage.Delta) {
            DeltaBatch batch = ((WireMessage.Delta) m).batch();
            if (!fromOwner(peer, batch.owner(), src, "delta")) {
                return;
            }
            peer.lastDeltaNanos = System.nanoTime();
            peer.announcedSeq = Math.max(peer.announcedSeq, batch.seq());
            if (peer.resyncOutstanding) {
                hold(peer, batch);
                maybeResync(peer);
                return;
            }
            apply(peer, batch);
        } else if (m instanceof WireMessage.Row) {
            RowSnapshot row = ((WireMessage.Row) m).row();
            if (!fromOwner(peer, row.owner(), src, "row")) {
                return;
            }
            ApplyResult installed = install(row);
            if (installed != ApplyResult.REJECTED && installed != ApplyResult.CONFLICT) {
                markSynced(peer, "its row arrived");
            }
            peer.announcedSeq = Math.max(peer.announcedSeq, row.seq());
            if (peer.resyncOutstanding) {
                peer.resyncOutstanding = false;
                List<DeltaBatch> replay = new ArrayList<>(peer.held);
                peer.held.clear();
                for (DeltaBatch b : replay) {
                    if (peer.resyncOutstanding) {
                        hold(peer, b);
                    } else {
                        apply(peer, b);
                    }
                }
            }
        } else if (m instanceof WireMessage.Hello) {
            WireMessage.Hello h = (WireMessage.Hello) m;
            if (!fromOwner(peer, h.incarnation(), src, "hello")) {
                return;
            }
            peer.apiUrl = h.apiUrl();
            peer.adminUrl = h.adminUrl();
            peer.configHash = h.configHash();
            peer.wireVersion = h.wireVersion();
            peer.announcedSeq = Math.max(peer.announcedSeq, h.publishedSeq());
            if (h.publishedSeq() == 0) {
                markSynced(peer, "it never sent a delta"); // its row is empty, and so is ours of it
            }
            if (appliedSeq(peer) < h.publishedSeq()) {
                maybeResync(peer);
            }
        } else {
            dropped("type", src, "unexpected " + m.getClass().getSimpleName());
        }
    }

    /** True when the message comes from a current member and names that member's own incarnation. */
    private boolean fromOwner(Peer peer, Incarnation owner, Address src, String what) {
        if (peer == null) {
            // Not malformed: a ghost being evicted, or a member whose view we have not processed yet (around a
            // merge). Its HELLO announcements make us ask for whatever this loses once it is a peer.
            unknownSender.increment();
            limited.log(Level.INFO, "unknown-sender", "ignored a " + what + " from " + src
                    + ", not a live member of our view (yet)");
            return false;
        }
        if (!peer.incarnation.equals(owner)) {
            dropped("sender", src, what + " of " + owner + " sent by " + peer.incarnation);
            return false;
        }
        return true;
    }

    /** Caller holds {@code lock}. */
    private void apply(Peer peer, DeltaBatch batch) {
        ApplyResult r = ledger.applyDelta(batch);
        switch (r) {
            case APPLIED:
            case APPLIED_REPLACING:
                deltasApplied.increment();
                break;
            case DUPLICATE:
                deltasDuplicate.increment();
                break;
            case GAP:
                deltasGap.increment();
                hold(peer, batch);
                maybeResync(peer);
                break;
            case STALE:
                deltasStale.increment();
                break;
            case CONFLICT:
                conflict("a delta of " + batch.owner() + " carries our controller id with a newer incarnation");
                break;
            case REJECTED:
                // our copy of the row disagrees with the owner's (a count would go negative): take the owner's row
                deltasRejected.increment();
                limited.log(Level.WARNING, "rejected", "rejected delta " + batch.seq() + " of " + batch.owner()
                        + "; asking for its row");
                maybeResync(peer);
                break;
            default:
                throw new IllegalStateException("unexpected " + r);
        }
    }

    /** Caller holds {@code lock}. */
    private ApplyResult install(RowSnapshot row) {
        ApplyResult r = ledger.installRow(row);
        switch (r) {
            case APPLIED:
            case APPLIED_REPLACING:
                rowsInstalled.increment();
                break;
            case CONFLICT:
                conflict("a row of " + row.owner() + " carries our controller id with a newer incarnation");
                break;
            case REJECTED:
                deltasRejected.increment();
                limited.log(Level.WARNING, "rejected-row", "rejected row of " + row.owner() + " at " + row.seq());
                break;
            default:
                // DUPLICATE or STALE: we hold this row or a newer one already
                break;
        }
        return r;
    }

    /** The peer's row is held from now on. Caller holds {@code lock}. */
    private void markSynced(Peer peer, String why) {
        if (!peer.synced) {
            peer.synced = true;
            if (peers.get(peer.address) == peer) {
                log(Level.INFO, "counting " + peer.incarnation + " again: " + why);
            }
            recountSynced();
        }
    }

    /** Caller holds {@code lock}. */
    private void recountSynced() {
        int n = 1;
        for (Peer p : peers.values()) {
            if (p.synced && !p.stale) {
                n++;
            }
        }
        syncedMembers = n;
    }

    /** Every {@link #STALE_CHECK_MS}, on its own thread: peers silent for {@link #STALE_AFTER_MS} stop being counted. */
    private void checkStale() {
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(STALE_AFTER_MS);
        synchronized (lock) {
            boolean changed = false;
            for (Peer p : peers.values()) {
                long silentNanos = now - p.lastHeardNanos;
                if (!p.stale && silentNanos > limit) {
                    p.stale = true;
                    changed = true;
                    log(Level.WARNING, "nothing from " + p.incarnation + " for "
                            + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms: not counting it until it is heard"
                            + " again (its row stays in the totals)");
                }
            }
            if (changed) {
                recountSynced();
            }
        }
    }

    /** Caller holds {@code lock}. */
    private void hold(Peer peer, DeltaBatch batch) {
        if (peer.held.size() >= MAX_HELD_DELTAS) {
            peer.held.clear(); // the row answer plus the next HELLO cover what this loses
        }
        peer.held.add(batch);
    }

    /**
     * Marks the peer as being resynced (its deltas are held until a row answers) and asks for its row, unless a
     * request is outstanding and recent, or one was answered moments ago: a row we keep rejecting must not turn
     * into a request loop at network speed. Caller holds {@code lock}.
     */
    private void maybeResync(Peer peer) {
        long now = System.nanoTime();
        long wait = peer.resyncOutstanding ? RESYNC_RETRY_NANOS : RESYNC_SPACING_NANOS;
        peer.resyncOutstanding = true;
        if (peer.resyncAsked && now - peer.resyncAskedNanos < wait) {
            return; // the next delta or HELLO of this owner asks again
        }
        peer.resyncAsked = true;
        peer.resyncAskedNanos = now;
        resyncsRequested.increment();
        WireMessage request = new WireMessage.ResyncRequest(self, peer.incarnation, appliedSeq(peer));
        Address dest = peer.address;
        execute("resync", () -> send(dest, request));
    }

    private long appliedSeq(Peer peer) {
        return ledger.remoteSequences().getOrDefault(peer.incarnation, 0L);
    }

    private void onResyncRequest(Address src, WireMessage.ResyncRequest r) {
        if (!r.owner().equals(self)) {
            dropped("content", src, "resync request for " + r.owner() + " sent to " + self);
            return;
        }
        resyncsAnswered.increment();
        // read the row on the control thread, just before sending: the freshest answer
        execute("resync-answer", () -> send(src, new WireMessage.Row(ledger.localRow())));
    }

    /** Counts a message from a process without the secret; logs one line per kind per 10 s at most. */
    private void rejectedAuth(String kind, Address src, String why) {
        rejectedAuth.increment();
        limited.log(Level.WARNING, "auth-" + kind, "rejected a message from " + src + " (" + kind + "): " + why);
    }

    private void dropped(String kind, Address src, String why) {
        messagesDropped.increment();
        limited.log(Level.WARNING, "drop-" + kind, "dropped a message from " + src + ": " + why);
    }

    // ------------------------------------------------------------------------------------------------ views

    private void onView(View v) {
        List<Address> toSuspect = new ArrayList<>();
        Address local = channel.getAddress();
        synchronized (lock) {
            views.increment();
            boolean merge = v instanceof MergeView;
            if (merge) {
                merges.increment();
            }
            log(Level.INFO, (merge ? "merge view " : "view ") + v);
            // the newest incarnation of every controller id in the view; older ones are ghosts
            Map<Address, Incarnation> incs = new LinkedHashMap<>();
            Map<String, Incarnation> newest = new HashMap<>();
            for (Address a : v.getMembers()) {
                Incarnation inc = incarnationOf(a);
                if (inc == null) {
                    limited.log(Level.WARNING, "no-incarnation", "member " + a
                            + " carries no incarnation: not a Tandem controller? Ignoring it");
                    continue;
                }
                incs.put(a, inc);
                newest.merge(inc.controllerId(), inc, (x, y) -> x.newerThan(y) ? x : y);
            }
            Incarnation newestOfMine = newest.get(id);
            if (newestOfMine != null && newestOfMine.newerThan(self)) {
                conflict("the view holds " + newestOfMine + ", a newer incarnation of this controller (" + self + ")");
            }
            Set<Address> viewGhosts = new HashSet<>();
            List<Incarnation> live = new ArrayList<>();
            for (Map.Entry<Address, Incarnation> e : incs.entrySet()) {
                if (!newest.get(e.getValue().controllerId()).equals(e.getValue())) {
                    viewGhosts.add(e.getKey());
                    if (!ghosts.contains(e.getKey())) {
                        replacedInView++;
                        log(Level.WARNING, "ghost " + e.getValue() + " at " + e.getKey() + " replaced by "
                                + newest.get(e.getValue().controllerId()) + "; dropping its row");
                    }
                } else if (!e.getKey().equals(local)) {
                    live.add(e.getValue());
                }
            }
            ghosts.clear();
            ghosts.addAll(viewGhosts);
            suspected.retainAll(v.getMembers());

            peers.keySet().removeIf(a -> !v.containsMember(a) || ghosts.contains(a));
            View previous = view;
            for (Map.Entry<Address, Incarnation> e : incs.entrySet()) {
                if (!e.getKey().equals(local) && !ghosts.contains(e.getKey())) {
                    peers.computeIfAbsent(e.getKey(), a -> {
                        Peer p = new Peer(a, e.getValue());
                        // A joiner is a new incarnation: its row starts empty, as ours of it does. A member that
                        // comes in by a merge held work on the other side: not counted until its ROW arrives.
                        p.synced = !merge || previous == null;
                        if (!p.synced) {
                            log(Level.INFO, "not counting " + p.incarnation + " until its row arrives (merge)");
                        }
                        return p;
                    });
                }
            }
            recountSynced();
            List<Incarnation> dropped = ledger.retainOnly(live);
            if (!dropped.isEmpty()) {
                log(Level.INFO, "dropped the rows of " + dropped + " (no longer in the view)");
            }
            // published only now: viewSize() is read without the lock, and whoever sees the new size must also see
            // the rows of the members that left already dropped (JGroupsReplicatorTest's partition test relies on it)
            view = v;

            // the coordinator evicts ghosts; when the ghost is the coordinator, the next live member in line does
            Address evictor = null;
            for (Address a : v.getMembers()) {
                if (!ghosts.contains(a)) {
                    evictor = a;
                    break;
                }
            }
            if (local.equals(evictor)) {
                for (Address g : ghosts) {
                    if (suspected.add(g)) {
                        toSuspect.add(g);
                    }
                }
            }
            if (firstMember && !stateInstalled && v.size() > 1) {
                unjoined = List.of();
                markInstalled("peers joined");
            }
            if (merge) {
                execute("merge-row", () -> send(null, new WireMessage.Row(ledger.localRow())));
                schedule("merge-rows", this::askForMissingRows, MERGE_ROW_WAIT_MS);
            }
        }
        for (Address g : toSuspect) {
            execute("suspect", () -> suspect(g));
        }
        execute("hello", this::sendHello);
    }

    /**
     * Asks every peer that came in by a merge and whose row is still missing for it (a unicast RESYNC_REQUEST,
     * answered by a unicast ROW), instead of waiting for its multicast HELLO or deltas, which may be stuck behind a
     * gap (see {@link #MERGE_ROW_WAIT_MS}). Runs after a merge and with every announcement.
     */
    private void askForMissingRows() {
        synchronized (lock) {
            for (Peer p : peers.values()) {
                if (!p.synced) {
                    maybeResync(p);
                }
            }
        }
    }

    /** Passes a SUSPECT up into VERIFY_SUSPECT2: it confirms the ghost is gone and has GMS remove it. */
    private void suspect(Address ghost) {
        JChannel ch = channel;
        VERIFY_SUSPECT2 verify = ch.getProtocolStack().findProtocol(VERIFY_SUSPECT2.class);
        if (verify == null) {
            log(Level.WARNING, "no VERIFY_SUSPECT2 in the stack: ghost " + ghost + " waits for failure detection");
            return;
        }
        ghostEvictions.increment();
        log(Level.INFO, "suspecting ghost " + ghost);
        verify.up(new Event(Event.SUSPECT, List.of(ghost)));
    }

    /** The incarnation an address carries, or null for an address without one. */
    static Incarnation incarnationOf(Address a) {
        if (!(a instanceof ExtendedUUID)) {
            return null;
        }
        byte[] v = ((ExtendedUUID) a).get(INCARNATION_KEY);
        if (v == null) {
            return null;
        }
        try {
            return Incarnation.parse(new String(v, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------ state

    /** Control thread: fetches the state from the coordinator, or decides this member is the first. */
    private void fetchState() {
        if (closed.get() || stateInstalled) {
            return;
        }
        JChannel ch = channel;
        View v = ch.getView();
        if (v == null || v.size() <= 1 || ch.getAddress().equals(v.getCoord())) {
            becomeFirst();
            return;
        }
        stateRequestedNanos = System.nanoTime();
        try {
            ch.getState(null, STATE_TIMEOUT_MS);
        } catch (Exception e) {
            stateTransferFailures.increment();
            log(Level.WARNING, "state transfer failed, retrying in " + STATE_RETRY_MS + " ms: " + e);
            schedule("state", this::fetchState, STATE_RETRY_MS);
            return;
        }
        if (!stateInstalled) {
            stateTransferFailures.increment();
            log(Level.WARNING, "state transfer returned no state, retrying in " + STATE_RETRY_MS + " ms");
            schedule("state", this::fetchState, STATE_RETRY_MS);
            return;
        }
        log(Level.INFO, "installed the state from " + v.getCoord() + ": " + lastStateRows + " rows, "
                + lastStateBytes + " bytes in " + lastStateMs + " ms");
    }

    /** No one held state before us: ready once peers join or after CLUSTER_JOIN_WAIT alone. */
    private void becomeFirst() {
        synchronized (lock) {
            firstMember = true;
            if (view != null && view.size() > 1) {
                markInstalled("coordinator with peers");
                return;
            }
        }
        log(Level.INFO, "first member of " + settings.clusterName() + "; ready in " + settings.joinWait().toMillis()
                + " ms unless peers join");
        schedule("join-wait", this::endJoinWait, settings.joinWait().toMillis());
    }

    /**
     * The join wait of a first member ended. Alone, it is ready only if discovery finds nobody else: a controller
     * that discovery shows peers to but that could not join them (JGroups gives up after its join attempts and forms
     * a view of one) must not take traffic on bookkeeping that lacks theirs. The usual cause is another
     * CLUSTER_SECRET (its JOIN is dropped as undecryptable); a restart racing its own ghost is the other, and MERGE3
     * brings that one in within seconds, making it ready. Asked again every join wait. Control thread.
     */
    private void endJoinWait() {
        if (stateInstalled || closed.get()) {
            return;
        }
        List<String> others = discoveredOthers();
        synchronized (lock) {
            if (stateInstalled) {
                return;
            }
            if (others.isEmpty() || view == null || view.size() > 1) {
                unjoined = List.of();
                markInstalled("no peers within CLUSTER_JOIN_WAIT");
                return;
            }
            unjoined = others;
        }
        unjoinedRounds++;
        long rejected = rejectedAuth.sum();
        if (rejected == 0 && unjoinedRounds < UNJOINED_ROUNDS_BEFORE_WARNING) {
            // controllers starting together: they are joining us or we will merge with them in a moment
            log(Level.INFO, "discovery finds " + others + "; not ready until they are in our view");
        } else {
            limited.log(Level.WARNING, "unjoined", "discovery finds " + others + " in cluster "
                    + settings.clusterName() + " but this controller is still alone in its view; " + rejected
                    + " messages were rejected as not from a holder of our secret. Not ready until it is in a view"
                    + " with them: check that CLUSTER_SECRET (or CLUSTER_SECRET_FILE) is the same on every controller");
        }
        schedule("join-wait", this::endJoinWait, settings.joinWait().toMillis());
    }

    /** Members other than this one that the discovery protocol finds now (waits up to a second). */
    private List<String> discoveredOthers() {
        JChannel ch = channel;
        Discovery discovery = ch == null ? null : ch.getProtocolStack().findProtocol(Discovery.class);
        if (discovery == null) {
            return List.of();
        }
        Responses rsps = discovery.findMembers(null, false, true, DISCOVERY_WAIT_MS);
        rsps.waitFor(DISCOVERY_WAIT_MS);
        Address local = ch.getAddress();
        List<String> others = new ArrayList<>();
        for (PingData d : rsps) {
            Address a = d.getAddress();
            if (a != null && !a.equals(local)) {
                others.add(String.valueOf(d.getLogicalName() != null ? d.getLogicalName() : a));
            }
        }
        return others;
    }

    /** The state is what this member holds: apply what waited for it. Caller holds {@code lock}. */
    private void markInstalled(String why) {
        List<Inbound> waiting = new ArrayList<>(early);
        early.clear();
        stateInstalled = true;
        for (Inbound in : waiting) {
            handle(in.src(), in.message());
        }
        log(Level.INFO, "state ready (" + why + "), " + waiting.size() + " buffered messages applied");
    }

    /** JGroups thread of the state provider: writes an atomic snapshot of every row. */
    private void serveState(OutputStream out) throws Exception {
        try {
            long t0 = System.nanoTime();
            byte[] bytes = codec.encode(new WireMessage.State(self, ledger.snapshot()));
            out.write(bytes);
            statesServed.increment();
            log(Level.INFO, "served the state: " + bytes.length + " bytes, taken and encoded in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        } catch (Exception | Error e) {
            log(Level.ERROR, "serving the state failed: " + e);
            throw e;
        }
    }

    /** JGroups thread of the joiner: installs every row but our own id's, then what was buffered meanwhile. */
    private void installState(InputStream in) throws Exception {
        long t0 = System.nanoTime();
        byte[] bytes = in.readNBytes((int) Math.min(codec.maxStateBytes() + 1, Integer.MAX_VALUE - 8));
        WireMessage.State state;
        try {
            state = codec.decodeState(bytes, 0, bytes.length);
        } catch (WireException e) {
            (WireCodec.AUTH_KIND.equals(e.kind()) ? rejectedAuth : messagesDropped).increment();
            log(Level.ERROR, "received a bad state (" + e.getMessage() + "); will retry");
            throw e;
        }
        synchronized (lock) {
            if (stateInstalled) {
                return;
            }
            for (RowSnapshot row : state.rows()) {
                if (!row.owner().sameController(self)) {
                    install(row);
                }
            }
            // the snapshot was taken in the provider's view: forget rows of members gone since, and of ghosts
            List<Incarnation> live = new ArrayList<>();
            for (Peer p : peers.values()) {
                live.add(p.incarnation);
                p.synced = true; // in the snapshot, or joined after it was taken (then its row is empty)
            }
            ledger.retainOnly(live);
            recountSynced();
            // recorded before readiness flips, so a reader that sees ready() also sees the transfer counted
            lastStateBytes = bytes.length;
            lastStateRows = state.rows().size();
            lastStateMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stateRequestedNanos);
            stateTransfers.increment();
            markInstalled("state transfer from " + state.sender() + ", decoded and installed in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        }
    }

    // ------------------------------------------------------------------------------------------------ sending

    /** Control thread, every second: tells peers our URLs and the last delta sent. */
    private void announce() {
        JChannel ch = channel;
        if (ch != null && ch.isConnected() && viewSize() > 1) {
            askForMissingRows();
            sendHello();
        }
    }

    private void sendHello() {
        send(null, new WireMessage.Hello(self, WireCodec.CURRENT_VERSION, apiUrl, adminUrl, "", lastSentSeq));
    }

    /** Control thread: sends one message; null {@code dest} multicasts. A failure is counted and logged. */
    private void send(Address dest, WireMessage m) {
        JChannel ch = channel;
        if (ch == null || !ch.isConnected()) {
            return;
        }
        try {
            ch.send(new BytesMessage(dest, codec.encode(m)));
        } catch (Exception e) {
            sendFailures.increment();
            limited.log(Level.WARNING, "send-" + m.getClass().getSimpleName(), "could not send "
                    + m.getClass().getSimpleName() + " to " + (dest == null ? "all" : dest) + ": " + e);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Two live processes must not share an id: raise the alarm and let the fatal handler stop this one. */
    private void conflict(String reason) {
        if (!fatalRaised.compareAndSet(false, true)) {
            return;
        }
        log(Level.ERROR, "ALARM: " + reason + "; this controller must stop");
        // On its own thread: the handler may exit the process, whose shutdown hook closes this replicator and
        // waits for the very JGroups thread we are on.
        Thread t = new Thread(() -> {
            try {
                fatal.fatal(reason);
            } catch (RuntimeException e) {
                log(Level.ERROR, "fatal handler failed: " + e);
            }
        }, "tandem-fatal-" + id);
        t.start();
    }

    private void execute(String what, Runnable task) {
        try {
            control.execute(() -> guarded(what, task));
        } catch (RejectedExecutionException e) {
            // closing: nothing more to send
        }
    }

    private void schedule(String what, Runnable task, long delayMs) {
        try {
            control.schedule(() -> guarded(what, task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs a callback; an exception is logged with the controller id and never ends the calling loop. */
    private void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            limited.log(Level.ERROR, "callback-" + what, what + " failed: " + e);
            LOG.log(Level.DEBUG, id + " " + what + " failed", e);
        }
    }

    private void log(Level level, String message) {
        LOG.log(level, id + " " + message);
    }
}
