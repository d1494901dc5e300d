"""Chart geometry: bars scaled to a round axis top, nothing drawn outside the plot."""

from decimal import Decimal

from server.web.charts import column_chart, nice_step, row_chart


def test_the_grid_step_is_a_round_number():
    assert nice_step(Decimal(106)) == Decimal(50)
    assert nice_step(Decimal(987)) == Decimal(500)
    assert nice_step(Decimal("0.3")) == Decimal("0.1")
    assert nice_step(Decimal(0)) == Decimal(1)


def test_columns_fit_the_plot_and_the_tallest_reaches_no_higher_than_the_axis_top():
    chart = column_chart(
        [("a", Decimal(106)), ("b", Decimal(0)), ("c", Decimal(50))],
        title="t",
        width=300,
        height=200,
    )
    tops = [bar.y for bar in chart.bars]
    assert min(tops) >= chart.plot_top
    assert all(bar.y + bar.height == chart.plot_bottom for bar in chart.bars)
    assert chart.bars[1].height == 0
    assert [g.label for g in chart.grid] == ["0", "50", "100", "150"]
    assert chart.bars[-1].x + chart.bars[-1].width <= chart.plot_right


def test_heights_are_proportional_to_values():
    chart = column_chart([("a", Decimal(100)), ("b", Decimal(50))], title="t")
    assert abs(chart.bars[0].height - 2 * chart.bars[1].height) < 1e-9


def test_rows_are_as_long_as_their_share_of_the_axis():
    chart = row_chart([("AG001", Decimal(951)), ("AG002", Decimal(987))], title="t", width=600)
    assert [g.label for g in chart.grid][-1] == "1,000"
    longest = max(bar.x + bar.width for bar in chart.bars)
    assert longest <= chart.plot_right
    assert chart.bars[0].value == "951"


def test_all_zero_or_no_points_is_an_empty_chart():
    assert column_chart([("a", Decimal(0))], title="t").empty
    assert row_chart([], title="t").empty
    assert not column_chart([("a", Decimal(1))], title="t").empty
