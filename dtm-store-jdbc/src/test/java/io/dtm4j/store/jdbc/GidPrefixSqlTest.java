package io.dtm4j.store.jdbc;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class GidPrefixSqlTest {

    @Test
    void theRangeEndsJustAfterEveryGidWithThePrefix() {
        assertThat(GidPrefixSql.upperBound("order-9")).isEqualTo("order-:");
        assertThat(GidPrefixSql.upperBound("a@")).isEqualTo("aA");
        assertThat(GidPrefixSql.upperBound("z")).isEqualTo("{");
        assertThat(GidPrefixSql.RANGE.args("x_")).containsExactly("x_", "x`");
    }

    @Test
    void likeWildcardsAndTheEscapeCharacterAreEscaped() {
        assertThat(GidPrefixSql.likePattern("a_b")).isEqualTo("a!_b%");
        assertThat(GidPrefixSql.likePattern("100%!")).isEqualTo("100!%!!%");
        assertThat(GidPrefixSql.likePattern("a.b-c:d@e")).isEqualTo("a.b-c:d@e%");
        assertThat(GidPrefixSql.LIKE.args("a_")).containsExactly("a!_%");
        assertThat(GidPrefixSql.LIKE_THEN_BYTES.args("a_")).containsExactly("a!_%", "a!_%");
    }

    @Test
    void eachFormHasOneParameterPerArgument() {
        for (GidPrefixSql form : GidPrefixSql.values()) {
            assertThat(form.condition()).startsWith(" AND ");
            assertThat(form.condition().chars().filter(ch -> ch == '?').count()).as(form.name())
                    .isEqualTo(form.args("p").size());
        }
    }

    @Test
    void sqliteAndMysqlNeedNoProbe() throws SQLException {
        assertThat(GidPrefixSql.choose(null, SqlDialect.SQLITE)).isEqualTo(GidPrefixSql.RANGE);
        assertThat(GidPrefixSql.choose(null, SqlDialect.MYSQL)).isEqualTo(GidPrefixSql.LIKE_THEN_BYTES);
    }
}
