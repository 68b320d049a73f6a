"""The board pack: the monthly board paper, written from the app's own figures."""
