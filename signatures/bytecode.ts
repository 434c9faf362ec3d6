/**
 * Rule program bytecode: a stack machine over Float64 values where NaN is YARA's `undefined`
 * (it propagates through arithmetic and comparisons for free; `and`/`or` turn it into false,
 * `not` keeps it, a rule whose condition ends undefined does not match). Booleans are 0/1.
 * Each instruction is an opcode followed by a fixed number of Int32 operands (OP_ARGS).
 */
export const enum Op {
  CONST = 1, ADD, SUB, MUL, DIV, MOD, NEG, BAND, BOR, BXOR, BNOT, SHL, SHR,
  EQ, NE, LT, LE, GT, GE, NOT, TOBOOL, DEFINED, JF_OR_POP, JT_OR_POP,
  FOUND, COUNT, COUNT_IN, OFFSET, LENGTH, AT, IN, FILESIZE, READ_INT, OF, LOADVAR, FOR_RANGE, FOR_LIST,
  RULE, NUM_FIELD, BYTES_CMP, BYTES_MATCH, BYTES_LEN, BYTES_DEFINED, BYTES_INSET, IP_INSET, NUM_INSET,
  EVENT, FLOW_HAS, FLOW_TAG, RATE, PROTO, POP,
  // appended (numbering of the ops above unchanged): host tags (keywords/host.ts), numeric text fields
  HOST_HAS, HOST_TAG, BYTES_NUM,
}

/** number of Int32 words per instruction, including the opcode */
export const OP_SIZE: number[] = [];
(() => {
  const one = [Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MOD, Op.NEG, Op.BAND, Op.BOR, Op.BXOR, Op.BNOT, Op.SHL, Op.SHR,
    Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.NOT, Op.TOBOOL, Op.DEFINED, Op.FILESIZE, Op.POP];
  for (const o of one) OP_SIZE[o] = 1;
  const two = [Op.CONST, Op.JF_OR_POP, Op.JT_OR_POP, Op.FOUND, Op.COUNT, Op.COUNT_IN, Op.OFFSET, Op.LENGTH, Op.AT, Op.IN,
    Op.READ_INT, Op.LOADVAR, Op.RULE, Op.NUM_FIELD, Op.EVENT, Op.FLOW_HAS, Op.FLOW_TAG, Op.PROTO];
  for (const o of two) OP_SIZE[o] = 2;
  OP_SIZE[Op.OF] = 3;
  OP_SIZE[Op.BYTES_LEN] = 3; OP_SIZE[Op.BYTES_DEFINED] = 3; OP_SIZE[Op.IP_INSET] = 3; OP_SIZE[Op.NUM_INSET] = 3;
  OP_SIZE[Op.BYTES_MATCH] = 4; OP_SIZE[Op.BYTES_INSET] = 4; OP_SIZE[Op.FOR_RANGE] = 4; OP_SIZE[Op.RATE] = 4;
  OP_SIZE[Op.BYTES_CMP] = 5; OP_SIZE[Op.FOR_LIST] = 5;
  // HOST_HAS tconst side; HOST_TAG tconst side expireMs; BYTES_NUM field key
  OP_SIZE[Op.HOST_HAS] = 3; OP_SIZE[Op.HOST_TAG] = 4; OP_SIZE[Op.BYTES_NUM] = 3;
})();

/** quantifier kinds for OF / FOR_* */
export const enum Quant { ANY = 0, ALL = 1, NONE = 2, N = 3, PCT = 4 }

/** string comparison operators for BYTES_CMP */
export const CMP_OPS = ['==', '!=', 'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'iequals'];

/** pseudo field ids for NUM_INSET on "the L4 port" (tcp or udp) */
export const L4_SPORT = -2;
export const L4_DPORT = -3;

/** decisions, in precedence order (higher wins when several rules match one packet) */
export const enum Decision { NONE = 0, ALERT = 1, ACCEPT = 2, REJECT = 3, DROP = 4 }
export const DECISION_NAMES = ['none', 'alert', 'accept', 'reject', 'drop'];
