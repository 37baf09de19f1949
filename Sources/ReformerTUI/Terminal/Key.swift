// Key: what the terminal reported, decoded from ncurses (or scripted in tests).

public enum Key: Sendable, Hashable {
    case character(Character)   // printable keys, including " " (space)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case tab, backTab
    case enter, escape, backspace
    case controlC, controlL
    case resize
    case function(Int)
}
