package io.dtm4j.core;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Global-id rules. A gid is 1 to 128 characters from {@code A-Z a-z 0-9 _ - . : @}: safe in URLs, log
 * lines, SQL and Redis keys. DTM strips {@code \n}, {@code \r} and {@code ;} from gids it receives;
 * {@link #clean(String)} does the same before validation.
 */
public final class Gids {

    /** Longest gid, in characters (DTM's column width). */
    public static final int MAX_LENGTH = 128;
    /** The documented safe pattern. */
    public static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_\\-.:@]{1," + MAX_LENGTH + "}");

    private static final String ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger BASE = BigInteger.valueOf(ALPHABET.length());
    private static final int SHORT_UUID_LENGTH = 22;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Gids() {
    }

    /** Removes the characters DTM strips ({@code \n}, {@code \r}, {@code ;}); null becomes empty. */
    public static String clean(String gid) {
        if (gid == null) {
            return "";
        }
        return gid.replace("\n", "").replace("\r", "").replace(";", "");
    }

    /**
     * Returns the gid if it is valid.
     *
     * @throws InvalidRequestException naming the problem, when it is empty, too long or has unsafe characters
     */
    public static String requireValid(String gid) {
        if (gid == null || gid.isEmpty()) {
            throw new InvalidRequestException("gid is required (1-" + MAX_LENGTH
                    + " characters of A-Z a-z 0-9 _ - . : @)");
        }
        if (gid.length() > MAX_LENGTH) {
            throw new InvalidRequestException("gid is " + gid.length() + " characters long; the limit is "
                    + MAX_LENGTH);
        }
        if (!SAFE.matcher(gid).matches()) {
            throw new InvalidRequestException("gid contains characters outside A-Z a-z 0-9 _ - . : @");
        }
        return gid;
    }

    /** Returns a new random gid: a 22-character base57 short UUID, as DTM's newGid. */
    public static String newGid() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        BigInteger n = new BigInteger(1, bytes);
        char[] out = new char[SHORT_UUID_LENGTH];
        for (int i = SHORT_UUID_LENGTH - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(BASE);
            out[i] = ALPHABET.charAt(qr[1].intValue());
            n = qr[0];
        }
        return new String(out);
    }
}
