"""An engine whose backward walks a cycle forever (a hostile sample)."""


class Value:
    def __init__(self, data, parents=()):
        self.data = data
        self.grad = 0.0
        self.parents = list(parents)

    def __add__(self, other):
        return Value(self.data + other.data, (self, other))

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))
        out.parents.append(out)  # a node among its own parents: the walk below never ends
        return out

    def backward(self):
        todo = [self]
        while todo:
            node = todo.pop()
            todo.extend(node.parents)
