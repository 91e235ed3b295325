package io.tandem.core.invoker;

import java.util.ArrayList;
import java.util.List;

/** OpenWhisk's step sizes for walking n invokers: 1..n coprime with n and with every step already kept. */
public final class StepSizes {
    private StepSizes() {
    }

    public static int[] of(int n) {
        List<Integer> steps = new ArrayList<>();
        for (int cur = 1; cur <= Math.max(1, n); cur++) {
            if (gcd(cur, n) == 1) {
                boolean coprime = true;
                for (int s : steps) {
                    if (gcd(cur, s) != 1) {
                        coprime = false;
                        break;
                    }
                }
                if (coprime) {
                    steps.add(cur);
                }
            }
        }
        return steps.stream().mapToInt(Integer::intValue).toArray();
    }

    static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
