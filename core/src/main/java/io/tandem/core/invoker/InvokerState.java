package io.tandem.core.invoker;

/** Health of an invoker as the controller's supervision sees it. Only HEALTHY invokers get work. */
public enum InvokerState {
    /** Answered its recent health checks and is not failing activations: gets work. */
    HEALTHY,
    /** Answers health checks but more than 3 of its last 10 activations were system errors. */
    UNHEALTHY,
    /** No answer to health checks for the offline timeout (or never yet): gets no work. */
    OFFLINE
}
