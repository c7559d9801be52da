package io.dtm4j.examples;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The branch request body of DTM's examples ({@code ReqHTTP}): the amount and optional forced results of
 * the two branches ({@code FAILURE}, {@code ONGOING}, {@code ERROR}; empty for a normal answer).
 *
 * @param amount         how much to move
 * @param transInResult  forced answer of TransIn; empty for none
 * @param transOutResult forced answer of TransOut; empty for none
 */
public record TransferRequest(
        @JsonProperty("amount") long amount,
        @JsonProperty("trans_in_result") String transInResult,
        @JsonProperty("trans_out_Result") String transOutResult) {

    /** A normal transfer of {@code amount}. */
    public static TransferRequest of(long amount) {
        return new TransferRequest(amount, "", "");
    }
}
